"""Voice: the ``voice`` channel, the settings a call needs, the agent identities, and the
TwiML we answer with.

Everything here is pure (no database, no request): the webhooks in ``voice_webhooks``
and the services in ``voice_calls`` decide *what* happens, these builders say it in
TwiML. How a call flows:

* **Incoming** — ``<Say>`` the greeting, then ``<Enqueue>`` the caller into the chat's
  own queue (``chat-<id>``). The queue's ``waitUrl`` plays the hold music and, after
  ``voice_voicemail_after_seconds``, answers ``<Leave/>``; the ``<Enqueue action>`` then
  offers voicemail (``<Say>`` + ``<Record>``). Nothing rings a browser yet: the chat's
  group and assignee hear the console ring (Socket.IO ``call:incoming``).
* **Answer** — the agent clicks Answer; the server *redirects the caller's leg* with the
  REST API (``calls(sid).update(twiml=…)``) to ``<Dial><Client>agent-<id></Client></Dial>``,
  which takes it out of the queue and rings that agent's browser ``Device``, which
  accepts it. (Chosen over ``<Dial><Queue>`` from the browser because a transfer is the
  very same move, for another agent.) ``<Dial action>`` puts the caller back on hold
  when the browser does not pick up, and hangs up when the conversation is over.
* **Transfer** — a ``chat_transferred`` for a chat with a live call redirects the
  caller's leg again: ``<Dial><Client>`` the new agent, or back into the queue when the
  chat went to a group.
* **Outgoing** — the browser's ``Device.connect({params: {To, chat_id}})`` reaches the
  TwiML App's voice URL, which answers ``<Dial callerId=…><Number statusCallback=…>``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from flask_babel import force_locale, gettext, lazy_gettext
from twilio.twiml.voice_response import Dial, VoiceResponse

from host.plugin_api import AddressFormat, CallEvents, ChannelColour, SendError

from plugins.twilio_channel.messaging.channels import normalise_number
from plugins.twilio_channel.settings import (SPOKEN_LANGUAGES, VOICE_GREETING, VOICE_HOLD_MUSIC, VOICE_VOICEMAIL_PROMPT, E164,
                                             SERVICE_SID,
                       TwilioConfig, load_config, missing_settings)

VOICE = "voice"
VOICE_PATH = "/webhooks/twilio/voice"
IDENTITY_PREFIX = "agent-"
_CLIENT_IDENTITY = re.compile(r"^(?:client:)?agent-(\d{1,10})$")
STATUS_EVENTS = "initiated ringing answered completed"
AGENT_RING_SECONDS = 25   # how long a browser rings before the caller goes back on hold
CUSTOMER_RING_SECONDS = 30
VOICEMAIL_MAX_SECONDS = 120


# --- the channel ---------------------------------------------------------------------------

TEXT_REFUSED = "voice-text"  # the error code of a text that reached the voice channel

# The sentences Switchboard says to callers, in the instance's spoken language
# (VoiceSetup.caller_words); an admin's own greeting or prompt is said as written.
CALLER_SENTENCES = {
    "greeting": lazy_gettext("Thanks for calling. Please hold while we connect you to an agent."),
    "voicemail": lazy_gettext("Sorry, nobody can take your call right now. Please leave a message after the tone."),
    "transfer": lazy_gettext("Please hold while we transfer your call."),
    "busy": lazy_gettext("Sorry, we can't take your call right now. Please try again later."),
    "missed": lazy_gettext("Sorry, the agent could not take your call. Please keep holding."),
    "thanks": lazy_gettext("Thank you for your message. Goodbye."),
}


class VoiceChannel:
    """The ``voice`` channel: phone calls on a chat.

    A call never becomes the chat's reply channel (``host.text_channels``): the chat
    keeps, or gets, SMS or WhatsApp for typed replies. Calls are placed from the call
    panel, never through the outbox, so text cannot be sent on this channel: ``check_reply`` refuses before anything is queued
    and ``send`` is a final (non-retryable) refusal for anything that still gets there.
    """

    key = VOICE
    colour = ChannelColour("#fdf2fa", "#c11574")
    address_format = AddressFormat("phone", "", "+14155552671")
    # the console rings on these (voice_calls pushes them); agents answer in the Call tab
    calls = CallEvents(ringing="call:incoming", answered="call:connected", answer_tab="call")

    # Read where they are shown (the channel list, a refused reply), so they come in the reader's language.
    @property
    def label(self) -> str:
        return gettext("Voice")

    @property
    def refusal(self) -> str:
        return gettext("A phone call can't carry text, and no text channel (SMS or WhatsApp) is set up to reply by. "
                       "An admin can set one up on the Plugins page.")

    @property
    def text_refusal(self) -> str:  # the console shows it in place of the reply box
        return self.refusal

    def normalise_address(self, value: str) -> str:
        return normalise_number(value)

    def missing_settings(self) -> list[str]:
        return missing_settings(load_config(), self.key)

    def explain_failure(self, code: str, detail=None) -> str | None:
        return self.refusal if code == TEXT_REFUSED else None

    def check_reply(self, chat, body: str = "", media=(), template=None) -> str:
        return self.refusal

    def send(self, message):
        raise SendError(self.refusal, code=TEXT_REFUSED, retryable=False)


VOICE_CHANNEL = VoiceChannel()


# --- settings and identities ------------------------------------------------------------

@dataclass(frozen=True)
class VoiceSetup:
    """The voice part of the Twilio settings, with defaults filled in."""

    greeting: str = VOICE_GREETING
    hold_music_url: str = VOICE_HOLD_MUSIC
    voicemail_after: int = 90   # seconds in the queue; 0 = no voicemail
    voicemail_prompt: str = VOICE_VOICEMAIL_PROMPT
    api_key_sid: str | None = None
    api_key_secret: str | None = None
    twiml_app_sid: str | None = None
    language: str = "en-US"  # what callers hear: a key of SPOKEN_LANGUAGES

    @classmethod
    def from_config(cls, config: TwilioConfig) -> VoiceSetup:
        raw = config.raw
        after = raw.get("voice_voicemail_after_seconds")
        return cls(greeting=raw.get("voice_greeting") or VOICE_GREETING,
                   hold_music_url=raw.get("voice_hold_music_url") or VOICE_HOLD_MUSIC,
                   voicemail_after=90 if after is None else int(after),
                   voicemail_prompt=raw.get("voice_voicemail_prompt") or VOICE_VOICEMAIL_PROMPT,
                   api_key_sid=raw.get("api_key_sid") or None, api_key_secret=raw.get("api_key_secret") or None,
                   twiml_app_sid=raw.get("twiml_app_sid") or None,
                   language=raw.get("voice_language") if raw.get("voice_language") in SPOKEN_LANGUAGES else "en-US")

    def caller_words(self, key: str) -> str:
        """One of :data:`CALLER_SENTENCES` in the language callers hear (English where
        Switchboard has no catalog for it)."""
        with force_locale(self.language.split("-")[0]):
            return str(CALLER_SENTENCES[key])

    @property
    def spoken_greeting(self) -> str:
        return self.caller_words("greeting") if self.greeting == VOICE_GREETING else self.greeting

    @property
    def spoken_voicemail_prompt(self) -> str:
        return self.caller_words("voicemail") if self.voicemail_prompt == VOICE_VOICEMAIL_PROMPT else self.voicemail_prompt


def agent_identity(agent_id: int) -> str:
    """The Voice SDK identity of an agent's browser: ``agent-<id>``."""
    return f"{IDENTITY_PREFIX}{int(agent_id)}"


def agent_id_of(identity: str | None) -> int | None:
    """``5`` for ``client:agent-5`` or ``agent-5``; None for anything else (a phone number)."""
    match = _CLIENT_IDENTITY.match(identity or "")
    return int(match.group(1)) if match else None


def queue_name(chat_id: int) -> str:
    return f"chat-{int(chat_id)}"


def caller_id_for(config: TwilioConfig, sticky: str | None) -> str | None:
    """The number an outgoing call shows: the chat's own number when it is a phone
    number (a WhatsApp sender's bare number too), else the default sender, else our
    first number. Messaging Services cannot place calls."""
    for candidate in (sticky, config.default_sender, *config.numbers):
        bare = (candidate or "").removeprefix("whatsapp:")
        if bare and not SERVICE_SID.match(bare) and E164.match(bare):
            return bare
    return None


class VoiceUrls:
    """Absolute URLs of our voice webhooks (Twilio signs exactly these, query included)."""

    def __init__(self, public_url: str):
        self.base = public_url.rstrip("/") + VOICE_PATH

    def _url(self, path: str, **query) -> str:
        return self.base + path + (f"?{urlencode(query)}" if query else "")

    incoming = property(lambda self: self.base)
    outbound = property(lambda self: self.base + "/outbound")
    status = property(lambda self: self.base + "/status")

    def status_for(self, chat_id: int) -> str:
        """The status callback of a leg we dial: the chat id finds the call even when the
        leg's parent is not the call we recorded (a transferred call an agent placed)."""
        return self._url("/status", chat_id=chat_id)

    def hold(self, chat_id: int) -> str:
        return self._url("/hold", chat_id=chat_id)

    def queue_done(self, chat_id: int) -> str:
        return self._url("/queue", chat_id=chat_id)

    def dial_done(self, chat_id: int, agent_id: int) -> str:
        return self._url("/dial", chat_id=chat_id, agent_id=agent_id)

    def voicemail(self, chat_id: int) -> str:
        return self._url("/voicemail", chat_id=chat_id)

    def recording(self, chat_id: int) -> str:
        return self._url("/recording", chat_id=chat_id)


# --- TwiML ----------------------------------------------------------------------------------

def _xml(response: VoiceResponse) -> str:
    return str(response)


def _say(response: VoiceResponse, text: str, setup: VoiceSetup | None) -> None:
    """``<Say>`` in the language callers hear: US English with Twilio's default voice (no
    attributes), any other with its voice and language."""
    voice = SPOKEN_LANGUAGES.get(setup.language) if setup is not None else None
    if voice:
        response.say(text, voice=voice, language=setup.language)
    else:
        response.say(text)


def hold_in_queue(response: VoiceResponse, chat_id: int, urls: VoiceUrls) -> VoiceResponse:
    response.enqueue(queue_name(chat_id), wait_url=urls.hold(chat_id), wait_url_method="POST",
                     action=urls.queue_done(chat_id), method="POST")
    return response


def incoming_call(setup: VoiceSetup, chat_id: int, urls: VoiceUrls) -> str:
    """Greet the caller and hold them in the chat's queue until an agent answers."""
    response = VoiceResponse()
    _say(response, setup.spoken_greeting, setup)
    return _xml(hold_in_queue(response, chat_id, urls))


def hold_music(setup: VoiceSetup, queue_seconds: int) -> str:
    """The queue's wait URL: music, or ``<Leave/>`` once voicemail is due.

    Twilio requests it again each time the music ends, so the voicemail time is checked
    at that granularity (use a short clip for a precise timeout).
    """
    response = VoiceResponse()
    if setup.voicemail_after and queue_seconds >= setup.voicemail_after:
        response.leave()
    else:
        response.play(setup.hold_music_url)
    return _xml(response)


def dial_agent(agent_id: int, chat_id: int, urls: VoiceUrls, say: str | None = None,
               setup: VoiceSetup | None = None) -> str:
    """Ring one agent's browser (``<Client>agent-<id>``); the chat id travels along as a
    custom parameter so the widget knows which chat the call belongs to."""
    response = VoiceResponse()
    if say:
        _say(response, say, setup)
    dial = Dial(action=urls.dial_done(chat_id, agent_id), method="POST", timeout=AGENT_RING_SECONDS)
    client = dial.client(status_callback=urls.status_for(chat_id), status_callback_method="POST",
                         status_callback_event=STATUS_EVENTS)
    client.identity(agent_identity(agent_id))
    client.parameter(name="chat_id", value=str(chat_id))
    response.append(dial)
    return _xml(response)


def back_on_hold(chat_id: int, urls: VoiceUrls, say: str, setup: VoiceSetup | None = None) -> str:
    """Nobody picked up (or the chat went to a group): back into the chat's queue."""
    response = VoiceResponse()
    _say(response, say, setup)
    return _xml(hold_in_queue(response, chat_id, urls))


def voicemail(setup: VoiceSetup, chat_id: int, urls: VoiceUrls) -> str:
    response = VoiceResponse()
    _say(response, setup.spoken_voicemail_prompt, setup)
    response.record(action=urls.voicemail(chat_id), method="POST", max_length=VOICEMAIL_MAX_SECONDS,
                    play_beep=True, timeout=5, recording_status_callback=urls.recording(chat_id),
                    recording_status_callback_method="POST", recording_status_callback_event="completed")
    return _xml(response)


def goodbye(say: str | None = None, setup: VoiceSetup | None = None) -> str:
    response = VoiceResponse()
    if say:
        _say(response, say, setup)
    response.hangup()
    return _xml(response)


def empty() -> str:
    return _xml(VoiceResponse())


def outbound_call(caller_id: str, to: str, urls: VoiceUrls) -> str:
    """The TwiML App's answer to a browser call: ring the customer from our number.

    ``answerOnBridge`` keeps the browser's call "ringing" until the customer answers, so
    the SDK's ``accept`` means a real conversation.
    """
    response = VoiceResponse()
    dial = Dial(caller_id=caller_id, answer_on_bridge=True, timeout=CUSTOMER_RING_SECONDS)
    dial.number(to, status_callback=urls.status, status_callback_method="POST",
                status_callback_event=STATUS_EVENTS)
    response.append(dial)
    return _xml(response)


# The spoken language (SPOKEN_LANGUAGES) an agent hears their own interface language in.
AGENT_SPOKEN = {"en": "en-US", "es": "es-ES", "pl": "pl-PL"}


def refuse(say: str, language: str = "en") -> str:
    """An outgoing call we will not place: tell the agent's browser why, in the agent's
    language (``say`` made in it) and a voice that speaks it, then hang up."""
    return goodbye(say, VoiceSetup(language=AGENT_SPOKEN.get(language, "en-US")))
