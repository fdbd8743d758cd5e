"""LiveChat: mirrors SMS/WhatsApp/voice chats into LiveChat and LiveChat's agents back out.

The hook implementations only wire things up; the work lives in small modules:

* :mod:`.mirroring` — Switchboard notifications → rows in the LiveChat outbox;
* :mod:`.sync_queue` / :mod:`.sync_actions` — the outbox worker and what each row does;
* :mod:`.routes` / :mod:`.inbound` — ``POST /webhooks/livechat`` → host services;
* :mod:`.agent_app` / :mod:`.oauth` — the Agent App Details widget and signing in there;
* :mod:`.agent_api` — the bridge's resolve call and the LiveChat tab's sync state;
* :mod:`.admin_page` / :mod:`.webhook_setup` / :mod:`.health` — setup for admins.

Worker: the LiveChat outbox worker is registered with ``register_workers``: it starts
and stops wherever the host's outbox worker does — ``switchboard
serve``, ``switchboard worker``, ``host.wsgi`` with ``SWITCHBOARD_OUTBOX_WORKER`` on, the
test kit's live server. Every enqueue wakes it; otherwise it polls like the host's. Tests
without a live server call :func:`plugins.livechat.sync_queue.drain`.
"""
from __future__ import annotations

from pathlib import Path

from flask_babel import lazy_gettext

from host.plugin_api import hookimpl, PluginSettings, WidgetTab, is_enabled
from host.plugin_api.web import assets_blueprint, tab_script
from plugins.livechat import mirroring
from plugins.livechat.settings import NAME, LiveChatSettingsSchema

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


@hookimpl
def register_workers(app):
    """The LiveChat outbox worker runs wherever the host runs its workers (``serve``,
    ``switchboard worker``, ``host.wsgi``, the test kit's live server) and stops with them."""
    from plugins.livechat.sync_queue import LiveChatSync, EXTENSION

    return [app.extensions.setdefault(EXTENSION, LiveChatSync(app))]


@hookimpl
def register_blueprints(app):
    from plugins.livechat.admin_page import admin_blueprint
    from plugins.livechat.agent_api import api_blueprint
    from plugins.livechat.agent_app import agent_app_blueprint
    from plugins.livechat.routes import webhook_blueprint

    return [assets_blueprint(NAME, __file__), webhook_blueprint(), agent_app_blueprint(), admin_blueprint(),
            api_blueprint()]


@hookimpl
def register_widget_tabs(app):
    return [WidgetTab(key="livechat", title="LiveChat", script=tab_script(NAME, "livechat_tab.js"), order=60, icon="speech-pair")]


@hookimpl
def register_settings_schemas(app):
    return PluginSettings(
        schema=LiveChatSettingsSchema, title="LiveChat",
        description=lazy_gettext("Mirror SMS, WhatsApp and call chats into LiveChat and send LiveChat agents' replies "
                                 "back. After saving, register the webhooks and see the setup status on %(page)s.",
                                 page="/plugins/livechat/admin"))


@hookimpl
def register_migration_folders(app):
    return [str(MIGRATIONS)]


@hookimpl
def register_inbox_handlers(app):
    from plugins.livechat.routes import inbox_handlers

    return inbox_handlers()


@hookimpl
def register_health_checks(app):
    if not is_enabled(NAME):
        return []  # the host drops a disabled plugin's checks anyway; don't call LiveChat for them
    from plugins.livechat.health import checks

    return checks()


# --- notifications (after commit; each only queues LiveChat calls) --------------------------

@hookimpl
def chat_started(event):
    mirroring.chat_opened(event)


@hookimpl
def chat_reopened(event):
    mirroring.chat_opened(event)


@hookimpl
def message_received(event):
    mirroring.message_received(event)


@hookimpl
def chat_transferred(event):
    mirroring.chat_transferred(event)


@hookimpl
def chat_archived(event):
    mirroring.chat_archived(event)


@hookimpl
def message_status_changed(event):
    mirroring.message_status_changed(event)


@hookimpl
def contact_changed(event):
    mirroring.contact_changed(event)


@hookimpl
def call_status_changed(event):
    mirroring.call_status_changed(event)
