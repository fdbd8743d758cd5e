"""The customer phone's scripts speak the agent's language: the page hands them its sentences."""
import json
import re


def page_text(page: str, element_id: str) -> dict:
    return json.loads(re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', page, re.S).group(1))


def test_the_customer_phone_hands_its_scripts_the_sentences_in_the_agents_language(app, admin, signed_in):
    client = signed_in(admin)
    polish = client.get("/simulator/phone", headers={"Accept-Language": "pl"}).get_data(as_text=True)
    messages, calls = page_text(polish, "sim-phone-text"), page_text(polish, "sim-call-text")
    assert messages["sending"] == "Wysyłanie…" and messages["notDelivered"] == "Nie dostarczono (HTTP {status})."
    assert calls["activity"]["talking"] == "Połączono" and calls["incoming"] == "Połączenie przychodzące od {number}"
    english = client.get("/simulator/phone", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert page_text(english, "sim-call-text")["none"] == "No call."
