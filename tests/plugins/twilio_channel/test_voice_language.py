"""What callers hear is said in the instance's spoken language (``voice_language``):
callers are customers, so an agent's own language never decides it. US English keeps
Twilio's default voice; another language comes with a voice that speaks it."""
from __future__ import annotations

from host import settings
from plugins.twilio_channel.testing.voice import call_sid, twiml, voice_params

VOICE = "/webhooks/twilio/voice"


def test_english_by_default_with_twilios_default_voice(app, agent, twilio_webhook):
    agent.language = "es"  # an agent's language changes nothing callers hear
    say = twiml(twilio_webhook(VOICE, voice_params(call_sid(1)))).find("Say")
    assert say.text == "Thanks for calling. Please hold while we connect you to an agent."
    assert say.attrib == {}


def test_spanish_callers_hear_spanish_from_a_spanish_voice(app, twilio_webhook):
    settings.save("twilio_channel", {"voice_language": "es-ES", "voice_voicemail_after_seconds": 30})
    response = twilio_webhook(VOICE, voice_params(call_sid(1)))
    say = twiml(response).find("Say")
    assert say.text == "Gracias por llamar. Espere, por favor, mientras le comunicamos con un agente."
    assert say.attrib == {"language": "es-ES", "voice": "Polly.Lucia"}
    chat_id = twiml(response).find("Enqueue").text.removeprefix("chat-")
    left = twilio_webhook(VOICE + "/queue", voice_params(call_sid(1), status="in-progress", QueueResult="leave"),
                          query=f"chat_id={chat_id}")
    prompt = twiml(left).find("Say")
    assert prompt.text.startswith("Lo sentimos, ahora mismo nadie puede atender su llamada.")
    assert prompt.attrib == {"language": "es-ES", "voice": "Polly.Lucia"}


def test_a_greeting_an_admin_wrote_is_said_as_written_in_the_chosen_voice(app, twilio_webhook):
    settings.save("twilio_channel", {"voice_language": "pl-PL", "voice_greeting": "Dzień dobry, tu Sklep Ola."})
    say = twiml(twilio_webhook(VOICE, voice_params(call_sid(1)))).find("Say")
    assert (say.text, say.attrib) == ("Dzień dobry, tu Sklep Ola.", {"language": "pl-PL", "voice": "Polly.Ewa"})


def test_a_language_without_a_voice_here_is_refused_by_the_settings(app):
    from plugins.twilio_channel.settings import TwilioSettingsSchema

    errors = TwilioSettingsSchema().validate({"voice_language": "xx-XX"})
    assert "voice_language" in errors


def test_an_agent_hears_why_their_call_was_not_placed_in_their_own_language(app, agent, twilio_webhook):
    from host.extensions import db

    agent.language = "pl"
    db.session.commit()
    root = twiml(twilio_webhook(VOICE + "/outbound", voice_params(call_sid(8), frm=f"client:agent-{agent.id}",
                                                                  to="x")))
    say = root.find("Say")
    assert (say.text, say.attrib) == ("To nie jest numer telefonu.", {"language": "pl-PL", "voice": "Polly.Ewa"})
