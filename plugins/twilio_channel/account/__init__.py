"""Connecting the Twilio account: credentials, subaccounts, numbers, webhooks, health."""
