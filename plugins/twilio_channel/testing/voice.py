"""Act as Twilio Voice towards our webhooks: the forms it posts for calls."""
from __future__ import annotations

import xml.etree.ElementTree as ET

CUSTOMER = "+14155550123"
OUR_NUMBER = "+14155550100"


def call_sid(n: int | str) -> str:
    return "CA" + str(n) * (32 // len(str(n)))


def voice_params(sid: str, *, frm: str = CUSTOMER, to: str = OUR_NUMBER, status: str = "ringing",
                 direction: str = "inbound", account_sid: str | None = None, **extra) -> dict:
    """The form Twilio posts to a voice URL or a call status callback."""
    from plugins.twilio_channel.settings import load_config

    params = {"AccountSid": account_sid or load_config().account.sid, "ApiVersion": "2010-04-01",
              "CallSid": sid, "From": frm, "To": to, "Caller": frm, "Called": to, "CallStatus": status,
              "Direction": direction}
    params.update({k: str(v) for k, v in extra.items()})
    return params


def twiml(response) -> ET.Element:
    """Parse a TwiML response (a Flask response or a string) and check its envelope."""
    text = response if isinstance(response, str) else response.get_data(as_text=True)
    if not isinstance(response, str):
        assert response.status_code == 200, text
        assert response.content_type.startswith("text/xml")
    root = ET.fromstring(text)
    assert root.tag == "Response"
    return root
