"""Voice: the voice channel, calls on chats, the browser Device, voice webhooks and housekeeping."""
