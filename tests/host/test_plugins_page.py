"""The Plugins page speaks to people: what each plugin is and adds, its state and what
it still needs with the action that fixes it; /healthz gives admins the same to-dos."""
import pytest

from host import settings
from plugins.twilio_channel.testing.webhooks import LIVE_SID, LIVE_TOKEN


def card(page, name):
    return page.split(f'data-plugin="{name}"')[1].split("</section>")[0]


def test_each_plugin_says_what_it_is_and_adds_without_hook_names(app, admin, signed_in):
    page = signed_in(admin).get("/admin/plugins").get_data(as_text=True)
    assert "register_" not in page and "Hooks" not in page
    twilio = card(page, "twilio_channel")
    assert "<h2" in twilio and "Twilio" in twilio and "SMS, MMS and WhatsApp through your Twilio account" in twilio
    assert "<dt>Channels</dt><dd>SMS, WhatsApp, Voice</dd>" in twilio.replace("\n", "")
    assert "<dt>Tabs</dt>" in twilio and "Call" in twilio
    assert 'class="badge state ok">On<' in twilio
    contacts = card(page, "contacts")
    assert "Customer" in contacts and "Contacts" in contacts


def test_the_simulator_is_a_to_do_with_the_action_that_connects_twilio(app, admin, signed_in):
    twilio = card(signed_in(admin).get("/admin/plugins").get_data(as_text=True), "twilio_channel")
    assert "Needs setup" in twilio and "the built-in simulator plays Twilio" in twilio
    assert '<a class="button small" href="/twilio/admin#connect">Connect Twilio</a>' in twilio


def test_a_live_account_lists_what_is_missing_each_with_its_fix(app, admin, signed_in):
    settings.save("twilio_channel", {"account_sid": LIVE_SID, "auth_token": LIVE_TOKEN})
    twilio = card(signed_in(admin).get("/admin/plugins").get_data(as_text=True), "twilio_channel")
    # http://switchboard.test is not an address Twilio can call
    assert "SWITCHBOARD_PUBLIC_URL is http://switchboard.test, which Twilio can&#39;t call" in twilio
    assert "Set SWITCHBOARD_PUBLIC_URL to this server&#39;s public https address" in twilio
    assert "No number, WhatsApp sender or Messaging Service is picked" in twilio and ">Pick numbers</a>" in twilio
    assert "agents can&#39;t take calls in the console" in twilio and ">Set up calls</a>" in twilio


def test_healthz_gives_admins_the_setup_to_dos_and_others_nothing_more(app, admin, agent, api):
    body = api(admin).get("/healthz").get_json()
    assert body["status"] == "ok"  # a to-do never takes the process out of the load balancer
    twilio = [item for item in body["setup"] if item["plugin"] == "twilio_channel"]
    assert twilio[0]["action"] == "Connect Twilio" and twilio[0]["action_url"] == "/twilio/admin#connect"
    livechat = {item["action"]: item["action_url"] for item in body["setup"] if item["plugin"] == "livechat"}
    assert livechat["Connect LiveChat"] == "/plugins/livechat/admin"
    assert "setup" not in api(agent).get("/healthz").get_json()
    assert "setup" not in app.test_client().get("/healthz").get_json()


def test_a_channel_that_needs_settings_says_so_on_its_card(app, admin, signed_in, api, agent):
    if "http_sms" not in app.extensions["switchboard"].plugins.plugins:
        pytest.skip("the example gateway is not installed (make setup installs it)")
    page = signed_in(admin).get("/admin/plugins").get_data(as_text=True)
    gateway = card(page, "http_sms")
    assert ("Not filled in yet: Gateway send URL, Sender number, Gateway API token, Webhook signing secret. "
            "Until then SMS (gateway) is not offered to agents.") in gateway
    assert gateway.count("<li") == 1  # one to-do, one action
    assert 'href="/admin/plugins/http_sms/settings">Fill them in</a>' in gateway
    assert "http_sms" not in [c["key"] for c in api(agent).get("/api/v1/channels").get_json()]


def test_the_setup_to_dos_speak_the_admins_language(app, admin, signed_in):
    if "http_sms" not in app.extensions["switchboard"].plugins.plugins:
        pytest.skip("the example gateway is not installed (make setup installs it)")
    client = signed_in(admin)
    gateway = card(client.get("/admin/plugins", headers={"Accept-Language": "pl"}).get_data(as_text=True), "http_sms")
    assert "Jeszcze niewypełnione: Gateway send URL" in gateway
    assert "Do tego czasu kanał SMS (gateway) nie jest dostępny dla konsultantów." in gateway
    assert '>Uzupełnij</a>' in gateway


def test_the_cards_name_tabs_and_describe_plugins_in_the_admins_language(app, admin, signed_in):
    page = signed_in(admin).get("/admin/plugins", headers={"Accept-Language": "es"}).get_data(as_text=True)
    contacts = card(page, "contacts")
    assert "Contactos" in contacts and "Perfiles de clientes creados a partir de los chats" in contacts
    assert "Cliente, Contactos" in contacts
    assert "Núcleo de Switchboard" in page and "Envía cada notificación a los agentes" in page


def test_a_plugin_without_a_gettext_catalog_is_described_from_its_own_messages(app, admin, signed_in):
    """The example gateway ships only JSON catalogs: its title and description on the
    Plugins page come from their plugin.title / plugin.description in the admin's language."""
    assert "http_sms" in app.extensions["switchboard"].plugins.plugins, "make setup installs the example gateway"
    admin.language = "es"
    from host.extensions import db
    db.session.commit()
    gateway = card(signed_in(admin).get("/admin/plugins").get_data(as_text=True), "http_sms")
    assert "Pasarela de SMS por HTTP" in gateway
    assert "Envía y recibe SMS a través de cualquier pasarela que hable JSON por HTTP." in gateway
    assert "Send and receive SMS" not in gateway
