"""What plugins registered, attributed to the plugin that registered it.

Registrations are collected once per app; whether each is visible is decided at use
time by the owning plugin's enabled flag.
"""
from __future__ import annotations

import logging

from flask import Blueprint
from flask_babel import gettext, ngettext
from flask_smorest import Blueprint as ApiBlueprint

from host import db_listeners
from host.i18n import and_list
from host.channel_descriptions import ChannelDescription, DescriptionError, describe
from host.contracts import (Channel, HealthCheck, InboxHandler, NavLink, PluginSettings, SessionListener, SocketEvents,
                            WidgetTab, Worker)


log = logging.getLogger(__name__)


class RegistrationError(RuntimeError):
    pass


class Switchboard:
    """``app.extensions["switchboard"]``: the plugin host plus what plugins registered."""

    def __init__(self, app, plugins):
        self.app = app
        self.plugins = plugins
        self.channels: dict[str, tuple[str, Channel]] = {}
        self.descriptions: dict[str, ChannelDescription] = {}
        self.tabs: dict[str, tuple[str, WidgetTab]] = {}
        self.settings: dict[str, PluginSettings] = {}
        self.migration_folders: list[tuple[str, str]] = []
        self._blueprint_owner: dict[str, str] = {}
        self.inbox_handlers: dict[str, tuple[str, InboxHandler]] = {}
        self.outbox = None
        self.inbox = None
        self.limiter = None

    # --- registration -------------------------------------------------------------------

    def register_all(self, api, socketio) -> None:
        from host.realtime import mount_plugin_handlers

        collect = self.plugins.collect
        app = self.app
        for owner, channel in collect("register_channels", app=app):
            if not isinstance(channel, Channel):
                raise RegistrationError(f"{owner} returned a channel without key/label/send: {channel!r}")
            if channel.key in self.channels:
                raise RegistrationError(f"channel {channel.key!r} is registered by both "
                                        f"{self.channels[channel.key][0]} and {owner}")
            try:
                self.descriptions[channel.key] = describe(owner, channel)
            except DescriptionError as exc:
                raise RegistrationError(f"{owner}: {exc}") from exc
            self.channels[channel.key] = (owner, channel)
        for owner, blueprint in collect("register_blueprints", app=app):
            if not isinstance(blueprint, Blueprint):
                raise RegistrationError(f"{owner} returned something that is not a Flask blueprint")
            if blueprint.name in app.blueprints:
                raise RegistrationError(f"blueprint {blueprint.name!r} from {owner} is already registered")
            if isinstance(blueprint, ApiBlueprint):
                api.register_blueprint(blueprint)
            else:
                app.register_blueprint(blueprint)
            self._blueprint_owner[blueprint.name] = owner
        for owner, tab in collect("register_widget_tabs", app=app):
            if not isinstance(tab, WidgetTab):
                raise RegistrationError(f"{owner} returned a widget tab that is not a WidgetTab")
            if tab.key in self.tabs:
                raise RegistrationError(f"widget tab {tab.key!r} is registered by both "
                                        f"{self.tabs[tab.key][0]} and {owner}")
            self.tabs[tab.key] = (owner, tab)
        for owner, handler in collect("register_inbox_handlers", app=app):
            if not isinstance(handler, InboxHandler):
                raise RegistrationError(f"{owner} returned an inbox handler that is not an InboxHandler")
            if handler.kind in self.inbox_handlers:
                raise RegistrationError(f"inbox events {handler.kind!r} are handled by both "
                                        f"{self.inbox_handlers[handler.kind][0]} and {owner}")
            self.inbox_handlers[handler.kind] = (owner, handler)
        for owner, settings in collect("register_settings_schemas", app=app):
            if not isinstance(settings, PluginSettings):
                raise RegistrationError(f"{owner} returned settings that are not PluginSettings")
            self.settings[owner] = settings
        for owner, folder in collect("register_migration_folders", app=app):
            self.migration_folders.append((owner, str(folder)))
        for owner, worker in collect("register_workers", app=app):
            if not isinstance(worker, Worker):
                raise RegistrationError(f"{owner} returned a worker without start/stop: {worker!r}")
            if worker not in self.outbox.companions:
                self.outbox.companions.append(worker)  # started and stopped with the outbox worker
        for owner, listener in collect("register_session_listeners", app=app):
            if not isinstance(listener, SessionListener) or listener.event not in db_listeners.SESSION_EVENTS:
                raise RegistrationError(f"{owner} returned a session listener that is not a SessionListener "
                                        f"for one of {', '.join(db_listeners.SESSION_EVENTS)}: {listener!r}")
            db_listeners.listen(app, listener.event, listener.handler, owner=owner)
        socket_events = collect("register_socketio_events", app=app)
        for owner, events in socket_events:
            if not isinstance(events, SocketEvents):
                raise RegistrationError(f"{owner} returned Socket.IO events that are not SocketEvents")
        mount_plugin_handlers(socketio, self.plugins, socket_events)
        self.socket_events = [(owner, name) for owner, ev in socket_events for name in ev.handlers]

    # --- what is visible now ------------------------------------------------------------

    def blueprint_owner(self, blueprint_name: str | None) -> str | None:
        if not blueprint_name:
            return None
        return self._blueprint_owner.get(blueprint_name.split(".")[0])

    def inbox_handler(self, kind: str):
        """The :class:`InboxHandler` of events of ``kind`` while its plugin is enabled."""
        owner, handler = self.inbox_handlers.get(kind, (None, None))
        return handler if owner is not None and owner not in self.plugins.disabled() else None

    def channel(self, key: str) -> Channel | None:
        """The adapter for ``key`` while its plugin is enabled, set up or not."""
        owner, channel = self.channels.get(key, (None, None))
        return channel if owner is not None and owner not in self.plugins.disabled() else None

    def enabled_channels(self) -> dict[str, Channel]:
        """The channels agents can use now: their plugin is enabled and they are set up.

        What the console, the widget, the API and the outbox offer and send through.
        """
        disabled = self.plugins.disabled()
        return {key: ch for key, (owner, ch) in self.channels.items()
                if owner not in disabled and self.missing_settings(key) == []}

    def channel_list(self, *, every: bool = False) -> list[dict]:
        """The channels agents can use now; with ``every``, each registered channel, its
        plugin on or off and set up or not (how chats of the others are drawn), each
        saying whether it is ``usable`` now."""
        usable = self.enabled_channels()
        keys = self.descriptions if every else usable
        # The label and the refusal are read now, in the request's language (a channel may translate them).
        rows = []
        for key in keys:
            channel = self.channels[key][1]
            rows.append({**self.descriptions[key].as_json(), "label": channel.label,
                         "text_refusal": getattr(channel, "text_refusal", None),
                         "takes_files": getattr(channel, "media_rules", None) is not None, "usable": key in usable})
        return rows

    def channel_catalogue(self) -> list[dict]:
        """Every registered channel's description, its plugin on or off: how the console
        draws chats of a channel that is switched off or not set up."""
        return self.channel_list(every=True)

    def missing_settings(self, key: str) -> list[str] | None:
        """Names of the settings channel ``key`` still needs (its ``missing_settings()``);
        None when the adapter failed to say — such a channel is not offered either."""
        _, channel = self.channels.get(key, (None, None))
        ask = getattr(channel, "missing_settings", None)
        if ask is None:
            return []
        try:
            return [str(name) for name in ask() or ()]
        except Exception:
            log.exception("channel %s could not tell whether it is set up", key)
            return None

    def channel_refusal(self, key: str) -> str | None:
        """Why channel ``key`` can't be used now, in a sentence for people; None when it can."""
        owner, channel = self.channels.get(key, (None, None))
        if channel is None or owner in self.plugins.disabled():
            return gettext("Unknown or disabled channel %(channel)s.", channel=repr(key))
        missing = self.missing_settings(key)
        if missing == []:
            return None
        if missing is None:
            return gettext("%(channel)s can't be used: it could not tell whether it is set up (see the server log).",
                           channel=channel.label)
        from host import settings as host_settings

        labels = [host_settings.label(owner, name) for name in missing]
        registered = self.settings.get(owner)
        where = gettext("the %(title)s settings", title=registered.title or owner) if registered else \
            gettext("the settings of %(plugin)s", plugin=owner)
        return ngettext("%(channel)s isn't set up yet: %(settings)s is missing from %(where)s. An admin can fill it "
                        "in on the Plugins page.",
                        "%(channel)s isn't set up yet: %(settings)s are missing from %(where)s. An admin can fill "
                        "them in on the Plugins page.", len(labels),
                        channel=channel.label, settings=and_list(labels), where=where)

    def widget_tabs(self) -> list[dict]:
        disabled = self.plugins.disabled()
        tabs = [(owner, tab) for owner, tab in self.tabs.values() if owner not in disabled]
        tabs.sort(key=lambda item: (item[1].order, item[1].key))
        return [{"key": t.key, "title": t.title, "script": t.script, "order": t.order,
                 "icon": t.icon, "background": t.background, "stylesheet": t.stylesheet,
                 "plugin": owner} for owner, t in tabs]

    def health(self) -> list[tuple[str, HealthCheck]]:
        disabled = self.plugins.disabled()
        results = []
        for owner, check in self.plugins.collect("register_health_checks", app=self.app):
            if owner not in disabled:
                results.append((owner, check))
        return results

    def nav_links(self, is_admin: bool) -> list[NavLink]:
        """The enabled plugins' top-bar links this person may see, in order."""
        disabled = self.plugins.disabled()
        links = []
        for owner, link in self.plugins.collect("register_nav_links", app=self.app):
            if owner in disabled or not isinstance(link, NavLink) or (link.admin_only and not is_admin):
                continue
            links.append(link)
        return sorted(links, key=lambda link: (link.order, link.title))

    def plugin_surface(self, name: str) -> dict:
        """Everything a plugin added, for the admin page and the enable/disable tests."""
        return {
            "blueprints": sorted(b for b, o in self._blueprint_owner.items() if o == name),
            "channels": sorted(k for k, (o, _) in self.channels.items() if o == name),
            "tabs": sorted(k for k, (o, _) in self.tabs.items() if o == name),
            "socket_events": sorted(e for o, e in self.socket_events if o == name),
            "settings": name in self.settings,
        }
