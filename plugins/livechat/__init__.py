"""LiveChat chat sync: mirrors SMS/WhatsApp conversations into LiveChat (Platform API v3.6)."""
