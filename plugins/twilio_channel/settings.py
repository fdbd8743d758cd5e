"""Admin settings of the Twilio plugin, and the resolved configuration the code uses.

The marshmallow schema is what the admin form validates. :func:`load_config` turns the
stored values (environment ``TWILIO_ACCOUNT_SID``/``TWILIO_AUTH_TOKEN`` win, through the
host's field ``env`` metadata) into a :class:`TwilioConfig`. With no credentials at all
the plugin runs against the built-in simulator (see ``simulator.py``), so ``make run``
and end-to-end tests work offline; with only one of the two set it refuses to guess.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field

from flask import current_app, has_request_context, request
from flask_babel import gettext, lazy_gettext
from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from host.plugin_api import settings as host_settings
from host.plugin_api.settings import WEEKDAYS, GroupMapping, Picklist, TimeZone, WeeklyHours, parse_range  # noqa: F401

NAME = "twilio_channel"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
DEFAULT_HOURS = {day: ["09:00-17:00"] for day in WEEKDAYS[:5]}

# The simulator's own "account": its numbers answer when no real ones are configured.
SIMULATOR_ACCOUNT_SID = "AC" + hashlib.sha256(b"switchboard-twilio-simulator").hexdigest()[:32]
SIMULATOR_NUMBER = "+14155550000"
SIMULATOR_WHATSAPP = "whatsapp:+14155550000"

# Twilio Regions and their edge locations: a region is reached through its own edge
# (https://www.twilio.com/docs/global-infrastructure/understanding-twilio-regions), US1 through any.
REGIONS = ("us1", "ie1", "au1", "jp1")
REGION_EDGES = {"ie1": "dublin", "au1": "sydney", "jp1": "tokyo"}
EDGES = ("ashburn", "umatilla", "dublin", "frankfurt", "sao-paulo", "singapore", "sydney", "tokyo", "roaming")

VOICE_GREETING = "Thanks for calling. Please hold while we connect you to an agent."
VOICE_HOLD_MUSIC = "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3"  # Twilio's own
VOICE_VOICEMAIL_PROMPT = "Sorry, nobody can take your call right now. Please leave a message after the tone."
# What callers hear is said in one language for the whole instance (callers are customers:
# an agent's own language says nothing about theirs). Twilio's default voice speaks US
# English; another language needs a voice that speaks it (twilio.com/docs/voice/twiml/say:
# an invalid voice and language pair fails the <Say>), here an Amazon Polly voice of it.
SPOKEN_LANGUAGES: dict[str, str | None] = {"en-US": None, "en-GB": "Polly.Amy", "es-ES": "Polly.Lucia",
                                           "es-MX": "Polly.Mia", "es-US": "Polly.Lupe", "pl-PL": "Polly.Ewa"}


def _e164(value: str) -> None:
    if not E164.match(value or ""):
        raise ValidationError(gettext("%(value)s is not an E.164 number; write it like +14155550100.", value=repr(value)))


def _sender(value: str) -> None:
    if SERVICE_SID.match(value or ""):
        return
    _e164((value or "").removeprefix("whatsapp:"))


def _whatsapp_sender(value: str) -> None:
    _e164((value or "").removeprefix("whatsapp:"))


def _each(check):
    """Validate every item of a list, with flat messages the admin form can show."""
    def validator(values) -> None:
        problems = []
        for value in values or []:
            try:
                check(value)
            except ValidationError as exc:
                problems.extend(exc.messages if isinstance(exc.messages, list) else [str(exc.messages)])
        if problems:
            raise ValidationError(problems)
    return validator


def _account_sid(value: str) -> None:
    if not ACCOUNT_SID.match(value or ""):
        raise ValidationError(gettext("%(value)s is not an Account SID (AC followed by 32 hex characters).", value=repr(value)))


def _service_sid(value: str) -> None:
    if not SERVICE_SID.match(value or ""):
        raise ValidationError(gettext("%(value)s is not a Messaging Service SID (MG followed by 32 hex characters).",
                                      value=repr(value)))


class TwilioSettingsSchema(Schema):
    account_sid = fields.Str(load_default=None, allow_none=True, validate=validate.Regexp(
        ACCOUNT_SID, error=lazy_gettext("An Account SID is AC followed by 32 hex characters (Twilio console → Account info).")),
        metadata={"env": "TWILIO_ACCOUNT_SID", "label": lazy_gettext("Account SID"),
                  "description": lazy_gettext("Leave both credentials empty to use the built-in simulator. "
                                 "The TWILIO_ACCOUNT_SID environment variable wins over this value.")})
    auth_token = fields.Str(load_default=None, allow_none=True, validate=validate.Length(min=8, max=128), metadata={
        "secret": True, "env": "TWILIO_AUTH_TOKEN", "label": lazy_gettext("Auth token"),
        "description": lazy_gettext("Also checks the signature of every webhook. TWILIO_AUTH_TOKEN wins over this value.")})
    twilio_region = fields.Str(load_default=None, allow_none=True, validate=validate.OneOf(
        REGIONS, error=lazy_gettext("Choose the Twilio region your account uses: us1, ie1, au1 or jp1.")), metadata={
        "label": lazy_gettext("Twilio region"),
        "description": lazy_gettext("Where your Twilio data is processed: us1 (United States, the default), ie1 (Ireland), "
                       "au1 (Australia) or jp1 (Japan). Each region has its own auth token: use that region's.")})
    twilio_edge = fields.Str(load_default=None, allow_none=True, validate=validate.OneOf(
        EDGES, error=lazy_gettext("Choose an edge location: %(edges)s.", edges=", ".join(EDGES))), metadata={
        "label": lazy_gettext("Twilio edge"),
        "description": lazy_gettext("Where requests enter Twilio. Empty: the region's own (dublin for ie1, sydney for au1, "
                       "tokyo for jp1; the nearest for us1).")})
    subaccount_sids = fields.List(fields.Str(), validate=_each(_account_sid), load_default=list, metadata={
        "label": lazy_gettext("Subaccounts"),
        "description": lazy_gettext("Subaccounts (AC…) whose numbers Switchboard serves with the parent account's "
                       "credentials (above). Their webhooks are checked with each subaccount's own auth "
                       "token, which Switchboard fetches from Twilio.")})
    numbers = Picklist(validate=_each(_e164), metadata={
        "label": lazy_gettext("SMS numbers"),
        "description": lazy_gettext("The numbers agents send SMS from and customers write to, in E.164 (+14155550100).")})
    whatsapp_senders = Picklist(validate=_each(_whatsapp_sender), metadata={
        "label": lazy_gettext("WhatsApp senders"), "description": lazy_gettext("WhatsApp numbers, written whatsapp:+14155238886.")})
    messaging_service_sids = Picklist(validate=_each(_service_sid), metadata={
        "label": lazy_gettext("Messaging Services"),
        "description": lazy_gettext("The first one sends when a chat has no number of its own.")})
    advanced_opt_out_service_sids = fields.List(fields.Str(), validate=_each(_service_sid), load_default=list, metadata={
        "label": lazy_gettext("Messaging Services with Advanced Opt-Out"),
        "description": lazy_gettext("Twilio adds OptOutType to messages sent to these services' numbers, from their own "
                       "keyword lists. Every other number uses Twilio's default SMS keywords (STOP, START …), "
                       "which Switchboard recognises in the message itself.")})
    number_groups = GroupMapping(key_label=lazy_gettext("Number or Messaging Service"), metadata={
        "label": lazy_gettext("Number → group"),
        "description": lazy_gettext("New chats and calls on a number (or a Messaging Service's numbers) go to its group. "
                       "A contact's own group wins.")})
    default_sender = fields.Str(load_default=None, allow_none=True, validate=_sender, metadata={
        "widget": "text",
        "label": lazy_gettext("Default sender"), "description": lazy_gettext("Number, whatsapp:+… or MG… used when nothing else applies.")})
    autoreply_first_contact = fields.Bool(load_default=False, metadata={"label": lazy_gettext("Auto-reply on first contact")})
    autoreply_first_contact_text = fields.Str(load_default="Thanks for your message! An agent will reply shortly.",
                                              validate=validate.Length(min=1, max=1600),
                                              metadata={"label": lazy_gettext("First-contact auto-reply")})
    autoreply_out_of_hours = fields.Bool(load_default=False, metadata={"label": lazy_gettext("Auto-reply outside business hours")})
    autoreply_out_of_hours_text = fields.Str(
        load_default="Thanks for your message. We're closed right now and will answer when we're back.",
        validate=validate.Length(min=1, max=1600), metadata={"label": lazy_gettext("Out-of-hours auto-reply")})
    autoreply_nobody_online = fields.Bool(load_default=False, metadata={
        "label": lazy_gettext("Auto-reply when no agent of the group is online")})
    autoreply_nobody_online_text = fields.Str(
        load_default="Thanks for your message. No one is available right now; we'll reply as soon as we can.",
        validate=validate.Length(min=1, max=1600), metadata={"label": lazy_gettext("Nobody-online auto-reply")})
    autoreply_cooldown_minutes = fields.Int(load_default=60, validate=validate.Range(min=0, max=10080), metadata={
        "label": lazy_gettext("Auto-reply pause (minutes)"), "description": lazy_gettext("The same auto-reply is not repeated in a chat within this many minutes.")})
    business_hours = WeeklyHours(load_default=lambda: dict(DEFAULT_HOURS), metadata={
        "label": lazy_gettext("Business hours"),
        "description": lazy_gettext("When the out-of-hours auto-reply stays quiet, in the time zone below (not each agent's "
                       "own zone). A day without hours is closed.")})
    timezone = TimeZone(load_default="UTC", metadata={
        "label": lazy_gettext("Time zone"), "description": lazy_gettext("The time zone of the business hours; agents reading in another "
                                            "zone see them in this one.")})
    api_key_sid = fields.Str(load_default=None, allow_none=True, validate=validate.Regexp(
        r"^SK[0-9a-fA-F]{32}$", error=lazy_gettext("An API key SID is SK followed by 32 hex characters.")),
        metadata={"label": lazy_gettext("API key SID (voice)"), "env": "TWILIO_API_KEY_SID"})
    api_key_secret = fields.Str(load_default=None, allow_none=True, metadata={
        "secret": True, "label": lazy_gettext("API key secret (voice)"), "env": "TWILIO_API_KEY_SECRET"})
    # The same API key also makes the REST calls when no auth token is set (resolve_account).
    twiml_app_sid = fields.Str(load_default=None, allow_none=True, validate=validate.Regexp(
        r"^AP[0-9a-fA-F]{32}$", error=lazy_gettext("A TwiML App SID is AP followed by 32 hex characters.")),
        metadata={"label": lazy_gettext("TwiML App SID (voice)")})
    # Voice calls (see voice.py): what a caller hears while the chat's agent is rung.
    voice_greeting = fields.Str(load_default=VOICE_GREETING, validate=validate.Length(min=1, max=500),
                                metadata={"label": lazy_gettext("Voice greeting"), "description": lazy_gettext("Said to every caller first.")})
    voice_hold_music_url = fields.Url(load_default=VOICE_HOLD_MUSIC, metadata={
        "label": lazy_gettext("Hold music URL"), "description": lazy_gettext("An MP3 or WAV Twilio plays (loops) while the caller waits.")})
    voice_voicemail_after_seconds = fields.Int(load_default=90, validate=validate.Range(min=0, max=3600), metadata={
        "label": lazy_gettext("Voicemail after (seconds)"),
        "description": lazy_gettext("When no agent answers within this time the caller can leave a voicemail; 0 = never.")})
    voice_voicemail_prompt = fields.Str(load_default=VOICE_VOICEMAIL_PROMPT, validate=validate.Length(min=1, max=500),
                                        metadata={"label": lazy_gettext("Voicemail prompt")})
    voice_language = fields.Str(load_default="en-US", validate=validate.OneOf(tuple(SPOKEN_LANGUAGES)), metadata={
        "label": lazy_gettext("Language callers hear"),
        "description": lazy_gettext("The greeting, the voicemail prompt and the other sentences said to callers are "
                                    "spoken in it; the built-in ones are translated, yours are said as written.")})

    @pre_load
    def _blank_is_none(self, data, **kwargs):
        # The admin form posts "" for an empty text box: that means "not set" (the default).
        return {k: v for k, v in dict(data).items()
                if not (v in ("", None) and k in self.fields and isinstance(self.fields[k], fields.Str))}

    @validates_schema(skip_on_field_errors=False)
    def _check(self, data, **kwargs):
        # Checked here rather than per key/item so every message is a flat sentence.
        errors = {}
        region, edge = data.get("twilio_region"), data.get("twilio_edge")
        if region in REGION_EDGES and edge and edge != REGION_EDGES[region]:
            errors.setdefault("twilio_edge", []).append(
                gettext("%(region)s is reached through the %(edge)s edge; choose it or leave the edge empty.",
                        region=region.upper(), edge=REGION_EDGES[region]))
        subaccounts = data.get("subaccount_sids") or []
        if subaccounts:
            import os

            parent = data.get("account_sid") or os.environ.get("TWILIO_ACCOUNT_SID")
            if not (parent and (data.get("auth_token") or os.environ.get("TWILIO_AUTH_TOKEN"))):
                errors.setdefault("subaccount_sids", []).append(
                    gettext("Subaccounts are reached with the parent account's credentials: set the parent's "
                            "Account SID and auth token first."))
            elif parent in subaccounts:
                errors.setdefault("subaccount_sids", []).append(
                    gettext("%(sid)s is the account itself; list only its subaccounts.", sid=parent))
        mapping = data.get("number_groups") or {}
        if mapping:
            from host.plugin_api import db, Group

            groups = db.session.execute(db.select(Group.id, Group.name)).all()
            known = {str(gid) for gid, _ in groups} | {name for _, name in groups}
            for number, group in mapping.items():
                try:
                    _sender(number)
                except ValidationError as exc:
                    errors.setdefault("number_groups", []).extend(exc.messages)
                if str(group) not in known:
                    errors.setdefault("number_groups", []).append(
                        gettext("%(number)s: there is no group called %(group)s.", number=number, group=repr(group)))
        if errors:
            raise ValidationError(errors)


# --- resolved configuration ----------------------------------------------------------------

@dataclass(frozen=True)
class Account:
    """Which Twilio account the plugin talks to and verifies webhooks with."""

    sid: str | None
    token: str | None
    mode: str  # "live" | "simulator" | "incomplete"
    source: str = ""  # "environment" | "settings" | "simulator"
    key_sid: str | None = None  # an API key (SK…) for the REST calls when there is no auth token
    key_secret: str | None = None

    @property
    def simulator(self) -> bool:
        return self.mode == "simulator"

    @property
    def usable(self) -> bool:
        """The REST API can be called: with the auth token, or else with an API key."""
        return bool(self.sid and (self.token or (self.key_sid and self.key_secret)))

    @property
    def verifies_webhooks(self) -> bool:
        """Twilio signs webhooks with the account's auth token; an API key can't check them."""
        return bool(self.sid and self.token)

    @property
    def rest_auth(self) -> tuple[str | None, str | None]:
        """HTTP Basic credentials for Twilio's REST API: Account SID + auth token, or the API key."""
        return (self.sid, self.token) if self.token else (self.key_sid, self.key_secret)


@dataclass(frozen=True)
class TwilioConfig:
    account: Account
    public_url: str
    numbers: tuple[str, ...] = ()
    whatsapp_senders: tuple[str, ...] = ()  # always "whatsapp:+E164"
    messaging_service_sids: tuple[str, ...] = ()
    region: str | None = None       # Twilio region and edge, handed to twilio.rest.Client
    edge: str | None = None
    subaccounts: tuple[str, ...] = ()  # reached with the account's (the parent's) credentials
    advanced_opt_out_services: frozenset[str] = frozenset()
    number_groups: dict = field(default_factory=dict)
    default_sender: str | None = None
    autoreplies: dict = field(default_factory=dict)  # kind -> text, only the enabled ones
    cooldown_minutes: int = 60
    business_hours: dict = field(default_factory=dict)
    timezone: str = "UTC"
    raw: dict = field(default_factory=dict)

    @property
    def status_callback_url(self) -> str:
        return self.public_url + "/webhooks/twilio/status"

    @property
    def messaging_url(self) -> str:
        return self.public_url + "/webhooks/twilio/messaging"

    @property
    def messaging_service_sid(self) -> str | None:
        return self.messaging_service_sids[0] if self.messaging_service_sids else None


def missing_settings(config: TwilioConfig, channel: str) -> list[str]:
    """The settings channel ``channel`` (sms, whatsapp, voice) needs before it can send.

    Without any credentials the simulator plays Twilio and nothing is missing. With only
    one of the two, nothing can be verified or sent. A live account needs somewhere to
    send from — an SMS number, a WhatsApp sender, a Messaging Service or a default
    sender that fits the channel — and calls in the browser need the API key and the
    TwiML App (``voice_tokens``).
    """
    account = config.account
    if account.simulator:
        return []
    if account.mode == "incomplete":
        return [name for name, value in (("account_sid", account.sid), ("auth_token", account.token)) if not value]
    default = config.default_sender or ""
    if channel == "voice":
        return [name for name in ("api_key_sid", "api_key_secret", "twiml_app_sid") if not config.raw.get(name)]
    if channel == "whatsapp":
        return [] if config.whatsapp_senders or config.messaging_service_sids or default else ["whatsapp_senders"]
    usable_default = default and not default.startswith("whatsapp:")
    return [] if config.numbers or config.messaging_service_sids or usable_default else ["numbers"]


def simulator_token(app=None) -> str:
    """The simulator account's auth token: derived from the app secret, never published."""
    secret = (app or current_app).config["SECRET_KEY"].encode()
    return hmac.new(secret, b"switchboard-twilio-simulator", hashlib.sha256).hexdigest()[:32]


def resolve_account(values: dict) -> Account:
    import os

    sid, token = values.get("account_sid") or None, values.get("auth_token") or None
    if not sid and not token:
        return Account(SIMULATOR_ACCOUNT_SID, simulator_token(), "simulator", "simulator")
    source = "environment" if os.environ.get("TWILIO_ACCOUNT_SID") or os.environ.get("TWILIO_AUTH_TOKEN") \
        else "settings"
    key_sid, key_secret = values.get("api_key_sid") or None, values.get("api_key_secret") or None
    live = bool(sid and (token or (key_sid and key_secret)))
    return Account(sid, token, "live" if live else "incomplete", source, key_sid, key_secret)


_CACHE_KEY = "switchboard.twilio_config"


def load_config() -> TwilioConfig:
    """The current configuration; cached for the length of one request.

    Cached on the request itself rather than on ``g``: an app context can outlive a
    request (tests, CLI), and a settings change must show on the next request.
    """
    if has_request_context() and _CACHE_KEY in request.environ:
        return request.environ[_CACHE_KEY]
    values = host_settings.get(NAME)
    account = resolve_account(values)
    numbers = tuple(v for v in values.get("numbers") or () if isinstance(v, str))
    whatsapp = tuple("whatsapp:" + v.removeprefix("whatsapp:") for v in values.get("whatsapp_senders") or ()
                     if isinstance(v, str))
    if account.simulator and not (numbers or whatsapp or values.get("messaging_service_sids")
                                  or values.get("default_sender")):
        numbers, whatsapp = (SIMULATOR_NUMBER,), (SIMULATOR_WHATSAPP,)
    autoreplies = {kind: values.get(f"autoreply_{kind}_text") or ""
                   for kind in ("first_contact", "out_of_hours", "nobody_online") if values.get(f"autoreply_{kind}")}
    region = values.get("twilio_region") or None
    edge = values.get("twilio_edge") or REGION_EDGES.get(region)
    config = TwilioConfig(
        account=account,
        region=region or ("us1" if edge else None), edge=edge,
        subaccounts=tuple(sid for sid in values.get("subaccount_sids") or () if sid != account.sid)
        if account.mode == "live" else (),
        public_url=current_app.config["SWITCHBOARD_PUBLIC_URL"].rstrip("/"),
        numbers=numbers, whatsapp_senders=whatsapp,
        messaging_service_sids=tuple(values.get("messaging_service_sids") or ()),
        advanced_opt_out_services=frozenset(values.get("advanced_opt_out_service_sids") or ()),
        number_groups=dict(values.get("number_groups") or {}),
        default_sender=values.get("default_sender") or None,
        autoreplies=autoreplies,
        cooldown_minutes=int(values.get("autoreply_cooldown_minutes") or 0),
        business_hours=dict(values.get("business_hours") or {}),
        timezone=values.get("timezone") or "UTC",
        raw=values,
    )
    if has_request_context():
        request.environ[_CACHE_KEY] = config
    return config
