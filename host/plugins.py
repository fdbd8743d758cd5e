"""The app's plugin manager: discovery, enable/disable state, and hook calls.

Every plugin is registered at start-up, enabled or not; "disabled" is enforced at
use time: hook calls skip disabled plugins (``pluggy.subset_hook_caller``), their
blueprints answer 404, their widget tabs and Socket.IO handlers are filtered out.
That keeps enable/disable effective without restarting the process (Flask cannot add
routes after the first request), and the state lives in the database so every
process agrees within ``STATE_TTL`` seconds.
"""
from __future__ import annotations

import importlib
import logging
import time
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

import pluggy
from sqlalchemy.exc import OperationalError, ProgrammingError

from host import PROJECT, hookspecs

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "switchboard.plugins"
BUILTINS = {
    "host.defaults": "host.builtins.defaults",
    "host.realtime": "host.builtins.realtime",
}
STATE_TTL = 2.0


class PluginError(RuntimeError):
    """A plugin cannot be loaded, registered or switched as asked."""


class UnknownPlugin(PluginError):
    """No installed plugin has that name."""


@dataclass
class PluginInfo:
    name: str
    plugin: Any
    source: str            # "built-in" or the pip distribution that provides it
    version: str
    essential: bool = False
    hooks: list[str] = field(default_factory=list)


class PluginHost:
    def __init__(self, app, extra_plugins=()):
        self.app = app
        self.pm = pluggy.PluginManager(PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        self._state_cache: tuple[float, frozenset[str]] | None = None
        essential = {n.strip() for n in app.config["SWITCHBOARD_ESSENTIAL_PLUGINS"].split(",") if n.strip()}
        only = app.config.get("SWITCHBOARD_PLUGINS")
        wanted = None if only is None else {n.strip() for n in str(only).split(",") if n.strip()}

        from host import __name__ as _host  # noqa: F401  (keeps import order explicit)
        version = _distribution_version("switchboard")
        for name, module in BUILTINS.items():
            self._add(name, importlib.import_module(module), "built-in", version, essential=True)
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if wanted is not None and ep.name not in wanted:
                continue
            dist = getattr(ep, "dist", None)
            dist_name = dist.name if dist else "unknown"
            source = "built-in" if dist_name.lower() == "switchboard" else dist_name
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken third-party package must not stop the host
                log.error("plugin %s could not be loaded: %s", ep.name, exc)
                continue
            self._add(ep.name, plugin, source, dist.version if dist else "", essential=ep.name in essential)
        for name, plugin in extra_plugins:
            self._add(name, plugin, "app config", "", essential=name in essential)
        # A misspelt hook name fails loudly instead of being silently ignored.
        self.pm.check_pending()

    def _add(self, name, plugin, source, version, essential=False):
        if name in self.plugins:
            raise PluginError(f"two plugins are both called {name!r}")
        self.pm.register(plugin, name=name)
        hooks = sorted(h.name for h in self.pm.get_hookcallers(plugin) or [])
        self.plugins[name] = PluginInfo(name, plugin, source, version, essential, hooks)

    # --- enabled state ----------------------------------------------------------------

    def disabled(self) -> frozenset[str]:
        now = time.monotonic()
        if self._state_cache and now - self._state_cache[0] < STATE_TTL:
            return self._state_cache[1]
        from host.extensions import db
        from host.models import PluginState

        try:
            rows = db.session.execute(db.select(PluginState.name).where(PluginState.enabled.is_(False))).scalars()
            names = frozenset(n for n in rows if n in self.plugins and not self.plugins[n].essential)
        except (OperationalError, ProgrammingError):  # tables not created yet
            db.session.rollback()
            names = frozenset()
        self._state_cache = (now, names)
        return names

    def refresh(self) -> frozenset[str]:
        """The disabled plugins read from the database now (not from the cache), cached anew."""
        self._state_cache = None
        return self.disabled()

    def is_enabled(self, name: str) -> bool:
        return name in self.plugins and name not in self.disabled()

    def set_enabled(self, name: str, enabled: bool) -> None:
        from host.extensions import db
        from host.models import PluginState

        info = self.plugins.get(name)
        if info is None:
            raise UnknownPlugin(f"There is no plugin called {name!r}. Installed: {', '.join(sorted(self.plugins))}.")
        if info.essential and not enabled:
            raise PluginError(f"{name} is essential to Switchboard and cannot be disabled.")
        state = db.session.get(PluginState, name) or PluginState(name=name)
        state.enabled = enabled
        db.session.add(state)
        db.session.commit()
        self._state_cache = None

    # --- hook calls -------------------------------------------------------------------

    def hook(self, name: str):
        """The hook caller for ``name`` without disabled plugins."""
        disabled = self.disabled()
        caller = getattr(self.pm.hook, name)
        if not disabled:
            return caller
        return self.pm.subset_hook_caller(name, [self.plugins[n].plugin for n in disabled])

    def ask(self, name: str, **kwargs):
        """Ask a ``firstresult`` question of the enabled plugins."""
        return self.hook(name)(**kwargs)

    def collect(self, name: str, **kwargs) -> list[tuple[str, Any]]:
        """Call a ``register_*`` hook on every plugin, keeping who returned what."""
        results = []
        for impl in reversed(getattr(self.pm.hook, name).get_hookimpls()):
            value = impl.function(**{k: kwargs[k] for k in impl.argnames})
            if value is None:
                continue
            items = value if isinstance(value, (list, tuple)) else [value]
            results.extend((impl.plugin_name, item) for item in items)
        return results

    def notify(self, name: str, event) -> list[tuple[str, Exception]]:
        """Call every enabled implementation separately; a failure is logged, not fatal."""
        failures = []
        disabled = self.disabled()
        for impl in reversed(getattr(self.pm.hook, name).get_hookimpls()):
            if impl.plugin_name in disabled:
                continue
            try:
                impl.function(event=event)
            except Exception as exc:  # isolation: one broken plugin must not silence others
                log.exception("plugin %s failed handling %s", impl.plugin_name, name)
                failures.append((impl.plugin_name, exc))
        return failures


def _distribution_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "dev"
