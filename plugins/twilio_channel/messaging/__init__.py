"""Messaging: the SMS and WhatsApp channels, their webhooks, sending, templates and replies."""
