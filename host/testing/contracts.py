"""Contract tests a plugin author inherits: subclass, supply a few fixtures, run pytest.

``PluginContract`` — any plugin: hook implementations match the real hookspecs, and
disabling it removes its routes, tabs, channels, Socket.IO handlers and hook calls.

``ChannelContract`` — a channel plugin. Supply:

* ``plugin_name`` — the name it is registered under (its entry point name);
* ``channel_key`` — the channel key its adapter registers;
* ``customer_address`` — a valid customer address on that channel;
* ``webhooks`` — an object with ``inbound(client, external_id, from_address, body,
  forge=None)`` and ``status(client, external_id, status, error_code=None)`` that post
  the provider's webhooks; ``forge`` is ``"signature"`` (wrong secret), ``"tamper"``
  (a field changed after signing) or ``"missing"`` (no signature);
* ``sent`` — a list the plugin's injected transport appends each send to, with
  ``external_id_of(item)`` returning the provider id the transport answered.

A channel whose adapter has ``explain_failure`` must take ``(code, detail)``.
A channel whose adapter has ``missing_settings()`` is also checked without its stored
settings: it names fields of its settings schema, is not offered, and refuses to start
a conversation (422) or queue a reply (409) with a sentence naming them.

``WidgetTabContract`` — a plugin with widget tabs: its scripts are prebuilt ES modules it
serves itself, exporting ``mount``, importing nothing from the host and injecting no
styles; its stylesheets are served as CSS; all of it vanishes when the plugin is disabled.
"""
from __future__ import annotations

import re
from urllib.parse import urljoin

import pytest

from host.extensions import db
from host.models import Chat, Message, OutboxItem, Setting


def _disable(app, name):
    app.extensions["switchboard"].plugins.set_enabled(name, False)


class PluginContract:
    @pytest.fixture
    def plugin_name(self):
        raise NotImplementedError("supply the plugin_name fixture")

    def test_hook_implementations_match_real_hookspecs(self, app, plugin_name):
        plugins = app.extensions["switchboard"].plugins
        info = plugins.plugins[plugin_name]
        assert info.hooks, "the plugin implements no hooks"
        for hook_name in info.hooks:
            caller = getattr(plugins.pm.hook, hook_name)
            assert caller.spec is not None, f"{hook_name} is not a Switchboard hook"
            spec_args = set(caller.spec.argnames)
            for impl in caller.get_hookimpls():
                if impl.plugin is info.plugin:
                    assert set(impl.argnames) <= spec_args, f"{hook_name} takes {impl.argnames}, spec has {spec_args}"

    def test_disabling_removes_every_trace(self, app, admin, signed_in, socket_client, plugin_name):
        sb = app.extensions["switchboard"]
        surface = sb.plugin_surface(plugin_name)
        rules = [r for r in app.url_map.iter_rules() if r.endpoint.split(".")[0] in surface["blueprints"]]
        _disable(app, plugin_name)
        client = signed_in(admin)
        for rule in rules:
            url = rule.rule
            for arg in rule.arguments:
                url = url.replace(f"<{arg}>", "1").replace(f"<int:{arg}>", "1").replace(f"<path:{arg}>", "x")
            method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
            response = client.open(url, method=method, headers={"X-CSRFToken": client.csrf_token})
            assert response.status_code == 404, f"{method} {url} still answers {response.status_code}"
        keys = {t["key"] for t in sb.widget_tabs()}
        assert not keys & set(surface["tabs"])
        assert not set(sb.enabled_channels()) & set(surface["channels"])
        info = sb.plugins.plugins[plugin_name]
        for hook_name in info.hooks:
            assert all(i.plugin is not info.plugin for i in sb.plugins.hook(hook_name).get_hookimpls())
        for event in surface["socket_events"]:
            assert socket_client(admin).emit(event, {}, callback=True)["ok"] is False


class ChannelContract(PluginContract):
    @pytest.fixture
    def channel_key(self):
        raise NotImplementedError("supply the channel_key fixture")

    @pytest.fixture
    def customer_address(self):
        raise NotImplementedError("supply the customer_address fixture")

    @pytest.fixture
    def webhooks(self):
        raise NotImplementedError("supply the webhooks fixture")

    @pytest.fixture
    def sent(self):
        raise NotImplementedError("supply the sent fixture (the injected transport's record)")

    @staticmethod
    def external_id_of(item) -> str:
        return item["external_id"]

    def _messages(self):
        return db.session.execute(db.select(Message).order_by(Message.id)).scalars().all()

    @pytest.mark.parametrize("forge", ["signature", "tamper", "missing"])
    def test_forged_webhook_is_rejected_and_emits_nothing(self, app, agent, recorder, webhooks,
                                                          customer_address, forge):
        response = webhooks.inbound(app.test_client(), "contract-forged-1", customer_address, "forged", forge=forge)
        assert response.status_code in (401, 403)
        assert self._messages() == [] and recorder.events == []

    def test_valid_webhook_yields_one_message_and_a_repeat_is_ignored(self, app, agent, recorder, webhooks,
                                                                      customer_address, channel_key):
        client = app.test_client()
        for _ in range(2):
            response = webhooks.inbound(client, "contract-in-1", customer_address, "Hello from the contract")
            assert response.status_code < 300
        received = recorder.of("message_received")
        assert len(received) == 1
        assert received[0].message["body"] == "Hello from the contract"
        assert received[0].message["channel"] == channel_key
        assert [m.body for m in self._messages()] == ["Hello from the contract"]

    def _reply(self, app, agent, api, webhooks, customer_address, body="Contract reply"):
        webhooks.inbound(app.test_client(), "contract-in-2", customer_address, "Hi")
        chat = db.session.execute(db.select(Chat)).scalar_one()
        response = api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"body": body})
        assert response.status_code == 201, response.get_json()
        app.extensions["switchboard"].outbox.drain()
        return db.session.get(Message, response.get_json()["id"])

    def test_explain_failure_takes_the_code_and_the_stored_detail(self, app, channel_key):
        """The host asks ``explain_failure(code, detail)``: a channel that words its failures
        takes both and answers a sentence or None, for a code it doesn't know too."""
        adapter = app.extensions["switchboard"].channels[channel_key][1]
        explain = getattr(adapter, "explain_failure", None)
        if explain is None:
            pytest.skip("the channel keeps the sentences its failures were stored with")
        with app.test_request_context(headers={"Accept-Language": "es"}):
            for code, detail in (("contract-unknown", {}), ("contract-unknown", {"status": 400, "reason": "x"})):
                answer = explain(code, detail)
                assert answer is None or (isinstance(answer, str) and answer)

    def test_sending_goes_through_the_injected_transport(self, app, agent, api, webhooks, customer_address, sent):
        message = self._reply(app, agent, api, webhooks, customer_address)
        db.session.refresh(message)
        assert len(sent) == 1
        assert message.status in ("queued", "sent") and message.external_id == self.external_id_of(sent[0])

    def test_a_channel_without_its_settings_is_not_offered_and_refuses_sends(self, app, agent, api, webhooks,
                                                                            plugin_name, channel_key,
                                                                            customer_address):
        from host import settings

        webhooks.inbound(app.test_client(), "contract-in-3", customer_address, "Hi")  # while it is set up
        chat = db.session.execute(db.select(Chat)).scalar_one()
        db.session.execute(db.delete(Setting).where(Setting.plugin == plugin_name))
        db.session.commit()
        settings.invalidate(plugin_name)
        sb = app.extensions["switchboard"]
        missing = sb.missing_settings(channel_key)
        if not missing:  # a channel that needs no stored settings stays offered without them
            assert channel_key in [c["key"] for c in api(agent).get("/api/v1/channels").get_json()]
            return
        schema = sb.settings[plugin_name].schema
        assert set(missing) <= set(schema.fields if not isinstance(schema, type) else schema().fields)
        labels = [settings.label(plugin_name, name) for name in missing]
        client = api(agent)
        assert channel_key not in [c["key"] for c in client.get("/api/v1/channels").get_json()]
        started = client.post("/api/v1/chats", json={"channel": channel_key, "to": customer_address, "body": "Hi"})
        assert started.status_code == 422
        assert all(label in started.get_json()["errors"]["json"]["channel"][0] for label in labels)
        reply = client.post(f"/api/v1/chats/{chat.id}/messages", json={"body": "Hello"})
        assert reply.status_code == 409 and all(label in reply.get_json()["message"] for label in labels)
        assert db.session.execute(db.select(OutboxItem)).first() is None

    def test_status_updates_only_move_forward(self, app, agent, api, webhooks, customer_address, sent):
        message = self._reply(app, agent, api, webhooks, customer_address)
        db.session.refresh(message)
        client = app.test_client()
        for status in ("delivered", "sent"):
            assert webhooks.status(client, message.external_id, status).status_code < 300
        db.session.refresh(message)
        assert message.status == "delivered"
        webhooks.status(client, message.external_id, "failed", error_code="30003")
        db.session.refresh(message)
        assert message.status == "failed" and message.error_code == "30003"


# An ES module's import specifiers: `import … from "x"`, `export … from "x"`, `import "x"`,
# `import("x")`, minified or not (not a path or word that merely ends in "import").
_IMPORTS = re.compile(r"""(?<![\w$./"'`-])(?:import|export)\s*(?:[\w*{}\s,$]*?\bfrom\s*)?["']([^"']+)["']"""
                      r"""|(?<![\w$./"'`-])import\s*\(\s*["']([^"']+)["']\s*\)""")
_INJECTED_STYLES = re.compile(r"""createElement\(\s*["']style["']|\binsertRule\(|adoptedStyleSheets|new CSSStyleSheet""")


class WidgetTabContract(PluginContract):
    """A plugin's tabs are prebuilt bundles it serves itself: the host builds no plugin
    sources, so what a pip-installed plugin ships is what runs. Each script is an ES module
    exporting ``mount`` that imports nothing outside the plugin (the host's DOM and styling
    helpers come in ``ctx``), injects no styles (a tab's CSS is the ``stylesheet`` it
    declares), and everything goes away with the plugin."""

    def test_tab_scripts_are_served_as_modules_exporting_mount(self, app, admin, signed_in, plugin_name):
        sb = app.extensions["switchboard"]
        tabs = [t for t in sb.widget_tabs() if t["plugin"] == plugin_name]
        assert tabs, "the plugin registers no widget tab"
        client = signed_in(admin)
        for tab in tabs:
            response = client.get(tab["script"])
            assert response.status_code == 200, f"{tab['script']} is not served (ship the built bundle in the package)"
            assert "javascript" in response.content_type
            assert "mount" in response.get_data(as_text=True)
        _disable(app, plugin_name)
        for tab in tabs:
            assert client.get(tab["script"]).status_code == 404

    def test_tab_bundles_are_the_plugins_own_and_import_nothing_from_the_host(self, app, admin, signed_in,
                                                                          plugin_name):
        own = f"/plugins/{plugin_name}/"
        client = signed_in(admin)
        seen: set[str] = set()
        queue = []
        for tab in app.extensions["switchboard"].widget_tabs():
            if tab["plugin"] == plugin_name:
                assert tab["script"].startswith(own), f"{tab['key']}: its script {tab['script']} is not under {own}"
                queue.append(tab["script"])
        while queue:  # the entry modules and every chunk they import
            url = queue.pop()
            if url in seen:
                continue
            seen.add(url)
            response = client.get(url)
            assert response.status_code == 200, f"{url} is not served"
            source = response.get_data(as_text=True)
            for match in _IMPORTS.finditer(source):
                specifier = match.group(1) or match.group(2)
                assert specifier.startswith(("./", "../", "/")), (
                    f"{url} imports {specifier!r}, which a browser can't resolve: bundle it into the tab")
                target = urljoin(url, specifier)
                assert target.startswith(own), (
                    f"{url} imports {specifier!r} from outside the plugin: the host's helpers come in ctx.dom and ctx.style")
                queue.append(target)
            assert not _INJECTED_STYLES.search(source), (
                f"{url} adds styles from script: declare a stylesheet on the WidgetTab instead")

    def test_tab_strings_are_extractable_and_in_every_language(self, app, plugin_name):
        """The plugin's tab strings go through ``ctx.t("key")`` with literal keys, found in
        its ``messages/en.json`` (next to its module) and in every other language it ships
        with the same placeholders; each tab has a ``tab.<key>`` title. Checked by the host's
        ``frontend/i18n_check.mjs`` (Node.js, FormatJS's ICU parser from the host's npm packages)."""
        import json
        import subprocess
        from pathlib import Path

        import host
        from host.frontend_messages import plugin_folder

        plugin = app.extensions["switchboard"].plugins.plugins[plugin_name].plugin
        folder = plugin_folder(plugin)
        assert folder is not None and (folder / "en.json").is_file(), (
            f"{plugin_name} ships no messages/en.json next to its module: its tabs can't be translated")
        english = json.loads((folder / "en.json").read_text(encoding="utf-8"))
        for tab in app.extensions["switchboard"].widget_tabs():
            if tab["plugin"] == plugin_name:
                assert f"tab.{tab['key']}" in english, f"messages/en.json has no title for the {tab['key']} tab"
        check = Path(host.__file__).resolve().parent / "frontend" / "i18n_check.mjs"
        assert check.is_file(), "run the contract from a Switchboard checkout (host/frontend/i18n_check.mjs)"
        answer = subprocess.run(["node", str(check), "--json", str(folder.parent)], cwd=check.parents[2],
                                capture_output=True, text=True, timeout=120)
        report = json.loads(answer.stdout)
        assert report["problems"] == [], "\n".join(report["problems"])

    def test_tab_stylesheets_are_served_as_css_and_go_with_the_plugin(self, app, admin, signed_in, plugin_name):
        tabs = [t for t in app.extensions["switchboard"].widget_tabs() if t["plugin"] == plugin_name]
        sheets = sorted({t["stylesheet"] for t in tabs if t["stylesheet"]})
        client = signed_in(admin)
        for url in sheets:
            assert url.startswith(f"/plugins/{plugin_name}/"), f"{url} is not the plugin's own"
            response = client.get(url)
            assert response.status_code == 200, f"{url} is not served"
            assert response.content_type.startswith("text/css")
        _disable(app, plugin_name)
        for url in sheets:
            assert client.get(url).status_code == 404


__all__ = ["PluginContract", "ChannelContract", "WidgetTabContract", "send_due", "pending_sends"]


# --- the outbox, for a channel's own retry tests ------------------------------------------------

def send_due(app, skip_backoff: bool = False) -> int:
    """One pass of the outbox worker: send what is due now; returns how many were tried.
    ``skip_backoff`` first makes sends waiting for their retry due at once."""
    if skip_backoff:
        for item in db.session.execute(db.select(OutboxItem).where(OutboxItem.state == "pending")).scalars():
            item.next_attempt_at = item.created_at
        db.session.commit()
    return app.extensions["switchboard"].outbox.drain()


def pending_sends() -> list[dict]:
    """Sends still waiting in the outbox: message id, attempts so far and the last error."""
    rows = db.session.execute(db.select(OutboxItem).where(OutboxItem.state == "pending")
                              .order_by(OutboxItem.id)).scalars()
    return [{"message_id": row.message_id, "attempts": row.attempts, "last_error": row.last_error} for row in rows]
