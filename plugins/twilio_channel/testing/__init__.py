"""Test helpers for the Twilio channel: Prism mock servers on Twilio's own API spec."""
from plugins.twilio_channel.testing.prism import (INVALID_TO, NOT_MOBILE, OPTED_OUT, RATE_LIMITED, Exchange,
                    PrismServers, RecordingHttpClient, patch_spec, prefer_error,
                    prism_binary)

__all__ = ["INVALID_TO", "NOT_MOBILE", "OPTED_OUT", "RATE_LIMITED", "Exchange",
           "PrismServers", "RecordingHttpClient", "patch_spec", "prefer_error",
           "prism_binary"]
