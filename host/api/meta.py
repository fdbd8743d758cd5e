"""Plugins, channels and widget tabs: what the console needs to build itself."""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields

from host import access, frontend_messages, i18n
from host.access import about
from host.api import require_admin
from host.plugins import PluginError, UnknownPlugin
from host.schemas import ChannelListQuerySchema, ChannelSchema, PluginSchema, PluginUpdateSchema, WidgetTabSchema

blp = Blueprint("meta", __name__, url_prefix="/api/v1", description="Plugins, channels and widget tabs")


def _sb():
    return current_app.extensions["switchboard"]


def plugin_rows() -> list[dict]:
    plugins = _sb().plugins
    disabled = plugins.disabled()
    return [{"name": p.name, "enabled": p.name not in disabled, "essential": p.essential,
             "source": p.source, "version": p.version, "hooks": p.hooks}
            for p in sorted(plugins.plugins.values(), key=lambda p: (not p.essential, p.name))]


@blp.route("/plugins")
@blp.response(200, PluginSchema(many=True))
@about(access.AGENT, reason="installed plugins; no customer data")
def plugins():
    """Installed plugins and whether each is enabled."""
    return plugin_rows()


@blp.route("/plugins/<name>", methods=["PATCH"])
@blp.arguments(PluginUpdateSchema)
@blp.response(200, PluginSchema)
@about(access.ADMIN)
def set_plugin(data, name):
    """Enable or disable a plugin (admins only). Takes effect without a restart."""
    require_admin()
    try:
        _sb().plugins.set_enabled(name, data["enabled"])
    except PluginError as exc:
        abort(404 if isinstance(exc, UnknownPlugin) else 409, message=str(exc))
    return next(row for row in plugin_rows() if row["name"] == name)


@blp.route("/channels")
@blp.arguments(ChannelListQuerySchema, location="query")
@blp.response(200, ChannelSchema(many=True))
@about(access.AGENT, reason="the registered channels; no customer data")
def channels(query):
    """Channels agents can use now: their plugin is enabled and they are set up.

    With ``all=true``, every registered channel instead, each saying whether it is
    ``usable`` now: chats on a channel that is switched off or not set up are still
    shown, and its name comes here in the reader's language like the others'.
    """
    return _sb().channel_list(every=query["all"])


@blp.route("/widget/tabs")
@blp.response(200, WidgetTabSchema(many=True))
@about(access.AGENT, reason="the widget tabs; no customer data")
def widget_tabs():
    """Widget tabs of the enabled plugins, in display order."""
    return _sb().widget_tabs()


class MessagesSchema(Schema):
    language = fields.Str(metadata={"description": "The language of these messages, e.g. pl"})
    messages = fields.Dict(keys=fields.Str(), values=fields.Dict(keys=fields.Str(), values=fields.Str()),
                           metadata={"description": "ICU MessageFormat catalogs by namespace: host, then each plugin"})


@blp.route("/messages/<language>")
@blp.response(200, MessagesSchema)
@about(access.AGENT, reason="the interface's message catalogs; no customer data")
def messages(language):
    """The console's and the enabled plugins' messages in one language (ICU MessageFormat)."""
    if not i18n.valid_language(language):
        abort(404, message=gettext("Switchboard doesn't speak that language. Choose one of: %(languages)s.",
                                   languages=", ".join(i18n.LANGUAGES)))
    return {"language": language, "messages": frontend_messages.catalogs(language)}
