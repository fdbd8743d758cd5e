"""Access tokens for the browser's Twilio Voice SDK ``Device``.

``AccessToken(account_sid, api_key_sid, api_key_secret, identity="agent-<id>")`` with a
``VoiceGrant(outgoing_application_sid=<TwiML App>, incoming_allow=True)``. The widget
asks ``GET /api/v1/voice/token`` when it starts the Device and again when the Device
says ``tokenWillExpire`` (``device.updateToken``).

In simulator mode (no Twilio credentials) the token is built the same way from the
simulator's stand-in key, derived from the app's secret key, so its claims are real;
only Twilio would not accept it — the widget then uses the simulated Device.
"""
from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import datetime, UTC

from flask import current_app
from flask_babel import gettext
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

from host.plugin_api import settings as host_settings

from plugins.twilio_channel.settings import NAME, TwilioConfig
from plugins.twilio_channel.wording import and_list
from plugins.twilio_channel.voice.channel import VoiceSetup, agent_identity

TOKEN_TTL = 3600  # seconds; the SDK warns 10 s before expiry (tokenWillExpire)


class VoiceNotConfigured(RuntimeError):
    """Live Twilio without an API key or TwiML App: say which setting is missing."""


@dataclass(frozen=True)
class IssuedToken:
    token: str
    identity: str
    ttl: int
    expires_at: datetime
    simulated: bool
    edge: str | None = None


def _derived(label: bytes, length: int) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"switchboard-twilio-voice-" + label, hashlib.sha256).hexdigest()[:length]


def simulator_key() -> tuple[str, str, str]:
    """(API key SID, API key secret, TwiML App SID) of the simulator account."""
    return "SK" + _derived(b"key", 32), _derived(b"secret", 64), "AP" + _derived(b"app", 32)


def credentials(config: TwilioConfig) -> tuple[str, str, str]:
    if config.account.simulator:
        return simulator_key()
    setup = VoiceSetup.from_config(config)
    missing = [name for name, value in (("api_key_sid", setup.api_key_sid), ("api_key_secret", setup.api_key_secret),
                                        ("twiml_app_sid", setup.twiml_app_sid)) if not value]
    if missing or not config.account.usable:
        # The settings named as the settings form labels them, in the agent's language.
        names = [str(host_settings.label(NAME, name)) for name in (missing or ["account_sid", "auth_token"])]
        raise VoiceNotConfigured(gettext("Calls in the browser are not set up: add %(what)s in the Twilio settings.",
                                         what=and_list(names)))
    return setup.api_key_sid, setup.api_key_secret, setup.twiml_app_sid


def issue(config: TwilioConfig, agent_id: int, ttl: int = TOKEN_TTL) -> IssuedToken:
    key_sid, key_secret, app_sid = credentials(config)
    identity = agent_identity(agent_id)
    # Outside US1 the token names its region and the Device connects through that region's
    # edge (https://www.twilio.com/docs/global-infrastructure/use-the-programmable-voice-javascript-sdk-with-a-non-us-twilio-region);
    # the API key and TwiML App must be that region's too.
    regional = not config.account.simulator and config.region not in (None, "us1")
    token = AccessToken(config.account.sid, key_sid, key_secret, identity=identity, ttl=ttl,
                        region=config.region if regional else None)
    token.add_grant(VoiceGrant(outgoing_application_sid=app_sid, incoming_allow=True))
    now = int(time.time())
    jwt = token.to_jwt()
    return IssuedToken(jwt, identity, ttl, datetime.fromtimestamp(now + ttl, UTC).replace(tzinfo=None),
                       simulated=config.account.simulator,
                       edge=None if config.account.simulator else config.edge)
