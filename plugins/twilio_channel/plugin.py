"""Twilio: SMS, MMS, WhatsApp and voice channels, their webhooks, tabs, settings and simulator.

The adapter verifies, parses and sends; chats and messages are the host's
(``host.chats.receive`` / ``apply_status`` / ``reply``). Modules:

* ``channels`` — the ``sms``/``whatsapp`` adapters (address normalising, sender choice);
* ``webhooks`` — signed inbound and status webhooks; ``keywords`` — Twilio's opt-out words;
  ``autoreply`` — automatic answers; ``accounts`` — subaccounts (their tokens, their numbers);
* ``content_templates`` — WhatsApp templates and their approval; ``whatsapp_window`` — the
  24-hour window per customer and sender;
* ``api`` — /api/v1/twilio (WhatsApp window, templates, logs, set-up);
  ``pages`` — media proxy and the "Connect Twilio" admin page;
* ``settings`` / ``client`` — configuration and the twilio ``Client`` (live, routed
  with ``SWITCHBOARD_TWILIO_HOSTS``, or the in-process ``simulator``);
* ``models`` + ``migrations/`` — the plugin's own tables (Alembic branch ``twilio_channel``);
* voice: ``voice`` (the ``voice`` channel, TwiML), ``voice_calls`` (ringing, answer, transfer, mute),
  ``voice_webhooks``, ``voice_tokens``, ``voice_api`` (/api/v1/voice), ``voice_housekeeping``
  (voicemail on time, queues deleted), ``voice_events``
  (Socket.IO), ``simulator_voice`` + ``simulator_voice_phone`` (calls in the simulator) and the
  ``call_panel`` tab.
"""
from pathlib import Path

from flask import g, has_app_context
from flask_babel import lazy_gettext

from host.plugin_api import hookimpl, PluginSettings, WidgetTab
from host.plugin_api.web import assets_blueprint, tab_script, tab_stylesheet

from plugins.twilio_channel import models  # noqa: F401  (the tables join the metadata for migrations and checks)

NAME = "twilio_channel"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


@hookimpl
def register_channels(app):
    from plugins.twilio_channel.messaging.channels import SMS, WHATSAPP_CHANNEL
    from plugins.twilio_channel.voice.channel import VOICE_CHANNEL

    return [SMS, WHATSAPP_CHANNEL, VOICE_CHANNEL]


@hookimpl
def register_blueprints(app):
    from plugins.twilio_channel.messaging import api
    from plugins.twilio_channel.account import routes as connect_page
    from plugins.twilio_channel import routes as pages
    from plugins.twilio_channel.simulator import rest as simulator
    from plugins.twilio_channel.simulator import phone as simulator_phone
    from plugins.twilio_channel.messaging import routes as webhooks
    from plugins.twilio_channel.simulator import voice_phone as simulator_voice_phone
    from plugins.twilio_channel.voice import api as voice_api
    from plugins.twilio_channel.voice import routes as voice_webhooks

    simulator.install(app)  # the client sends the simulator account's requests to it
    return [assets_blueprint(NAME, __file__), webhooks.bp, pages.bp, simulator_phone.bp, api.blp,
            voice_webhooks.bp, voice_api.blp, simulator_voice_phone.bp, connect_page.bp]


@hookimpl
def register_workers(app):
    from plugins.twilio_channel.voice import housekeeping as voice_housekeeping

    return [voice_housekeeping.worker(app)]


@hookimpl
def register_widget_tabs(app):
    return [
        WidgetTab(key="sms", title="SMS", script=tab_script(NAME, "sms_tab.js"), order=20, icon="speech-dots"),
        WidgetTab(key="whatsapp", title="WhatsApp", script=tab_script(NAME, "whatsapp_tab.js"), order=30, icon="speech-phone"),
        WidgetTab(key="logs", title="Logs", script=tab_script(NAME, "logs_tab.js"), order=50, icon="logs",
                  stylesheet=tab_stylesheet(NAME, "logs_tab.css")),
        # background: loaded with the page, so calls ring and the Call buttons work on any tab
        WidgetTab(key="call", title="Call", script=tab_script(NAME, "call_panel.js"), order=15, icon="phone",
                  background=True, stylesheet=tab_stylesheet(NAME, "call_panel.css")),
    ]


@hookimpl
def register_socketio_events(app):
    from plugins.twilio_channel.simulator import voice_phone as simulator_voice_phone
    from plugins.twilio_channel.voice import events as voice_events

    return [voice_events.socket_events(), simulator_voice_phone.socket_events()]


@hookimpl
def register_settings_schemas(app):
    from plugins.twilio_channel.account.inventory import offer_in
    from plugins.twilio_channel.settings import TwilioSettingsSchema

    # An instance, not the class: the host would build a new schema on every settings read
    # (several per webhook), which showed up in the webhook benchmark's profile.
    schema = TwilioSettingsSchema()
    offer_in(schema)
    return PluginSettings(schema=schema, title="Twilio",
                          description=lazy_gettext("SMS, MMS and WhatsApp through your Twilio account. Without "
                                                   "credentials, the built-in simulator plays Twilio (nothing "
                                                   "leaves this server)."))


@hookimpl
def register_migration_folders(app):
    return [str(MIGRATIONS)]


@hookimpl
def register_inbox_handlers(app):
    from plugins.twilio_channel.messaging.routes import inbox_handlers

    return inbox_handlers()


@hookimpl
def register_health_checks(app):
    from plugins.twilio_channel.account.checks import health_checks

    return health_checks()


@hookimpl
def register_nav_links(app):
    """"Customer phone" in the top bar while the built-in simulator plays Twilio (admins:
    the phone plays every customer)."""
    from flask import url_for
    from flask_babel import gettext

    from host.plugin_api import NavLink

    from plugins.twilio_channel.client import uses_builtin_simulator

    if not uses_builtin_simulator():
        return []
    return [NavLink(gettext("Customer phone"), url_for("twilio_channel_phone.phone"), admin_only=True)]


@hookimpl
def route_chat(chat, contact, to_address):
    """Number → group: the number (or its Messaging Service) the customer wrote to or called."""
    from plugins.twilio_channel.messaging.senders import group_lookup
    from plugins.twilio_channel.settings import load_config

    if chat.get("channel") not in ("sms", "whatsapp", "voice") or not to_address:
        return None
    mapping = load_config().number_groups
    if not mapping:
        return None
    bare = to_address.removeprefix("whatsapp:")
    service = g.get("twilio_messaging_service_sid") if has_app_context() else None
    groups = group_lookup()
    for key in (to_address, bare, "whatsapp:" + bare, service):
        if key and key in mapping and str(mapping[key]) in groups:
            return groups[str(mapping[key])]
    return None


@hookimpl
def message_received(event):
    from plugins.twilio_channel.messaging.autoreply import on_message_received

    on_message_received(event)


@hookimpl
def chat_transferred(event):
    """A live call follows its chat to the new agent (see ``voice_calls.follow_transfer``)."""
    from plugins.twilio_channel.voice.calls import follow_transfer

    follow_transfer(event)


@hookimpl
def message_sent(event):
    """Apply status callbacks that beat the outbox's commit (see ``webhooks``)."""
    from plugins.twilio_channel.messaging.routes import apply_early_statuses

    if event.message.get("channel") in ("sms", "whatsapp"):
        apply_early_statuses(event.message.get("external_id"), event.message["channel"])
