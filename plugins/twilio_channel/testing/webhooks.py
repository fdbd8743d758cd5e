"""Act as Twilio towards our webhooks: the forms it posts, signed the way it signs them."""
from __future__ import annotations

from twilio.request_validator import RequestValidator

LIVE_SID = "AC" + "0123456789abcdef" * 2
LIVE_TOKEN = "live-auth-token-0123456789"
POOL_SID = "MG" + "4" * 32


def post_twilio(app, path, params, *, token=None, url=None, signature=None, client=None, query=""):
    """POST ``params`` to ``path`` signed with ``RequestValidator(token).compute_signature``.

    ``url`` is the public URL Twilio called (default: ``SWITCHBOARD_PUBLIC_URL`` + path +
    query); ``token`` defaults to the active account's; ``signature=False`` sends none.
    """
    from plugins.twilio_channel.settings import load_config

    target = path + (f"?{query}" if query else "")
    full_url = url or app.config["SWITCHBOARD_PUBLIC_URL"] + target
    headers = {}
    if signature is not False:
        headers["X-Twilio-Signature"] = signature or RequestValidator(
            token or load_config().account.token).compute_signature(full_url, params)
    return (client or app.test_client()).post(target, data=params, headers=headers)


def inbound_params(*, sid="SM" + "a" * 32, frm="+14155550123", to="+14155550000", body="Hello",
                   account_sid=None, **extra) -> dict:
    """The form Twilio posts for an inbound SMS (WhatsApp when the addresses say so)."""
    from plugins.twilio_channel.settings import load_config

    params = {"AccountSid": account_sid or load_config().account.sid, "ApiVersion": "2010-04-01",
              "MessageSid": sid, "SmsMessageSid": sid, "SmsSid": sid, "SmsStatus": "received",
              "From": frm, "To": to, "Body": body, "NumMedia": "0", "NumSegments": "1"}
    params.update({k: str(v) for k, v in extra.items()})
    return params


def status_params(sid, status, *, error_code=None, frm="+14155550000", to="+14155550123", account_sid=None):
    from plugins.twilio_channel.settings import load_config

    params = {"AccountSid": account_sid or load_config().account.sid, "ApiVersion": "2010-04-01",
              "MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status,
              "From": frm, "To": to}
    if error_code:
        params["ErrorCode"] = str(error_code)
    return params


