"""Channels describe themselves at registration (key, label, colour, address format, what
they carry), and the console draws from that description: it comes with the page and
from /api/v1/channels, and the host moves addresses between channels and records calls
with it."""
import json
import re

import pytest

from host import hookimpl
from host.channel_descriptions import DescriptionError, call_channel_for, channel_address, describe
from host.contracts import AddressFormat, CallEvents, ChannelColour, SendResult


class Pager:
    """A channel writing phone numbers after "pager:", in its own colours."""

    key, label = "pager", "Pager"
    colour = ChannelColour("#123456", "#abcdef")
    address_format = AddressFormat("phone", "pager:", "+15550100")

    def send(self, message):
        return SendResult(external_id="p1")


class PagerPlugin:
    @hookimpl
    def register_channels(self, app):
        return [Pager()]


@pytest.fixture
def extra_plugins():
    return [("pager_plugin", PagerPlugin())]


def boot_of(client) -> dict:
    page = client.get("/console").get_data(as_text=True)
    return json.loads(re.search(r'<script id="bootstrap" type="application/json">(.*?)</script>', page, re.S).group(1))


def test_the_console_and_the_api_get_each_channels_description(app, agent, api, signed_in):
    from_api = {c["key"]: c for c in api(agent).get("/api/v1/channels").json}
    boot = boot_of(signed_in(agent))
    from_page = {c["key"]: c for c in boot["channels"]}
    pager = from_page["pager"]
    assert pager["colour"] == {"background": "#123456", "text": "#abcdef"}
    assert pager["address"] == {"kind": "phone", "prefix": "pager:", "example": "+15550100"}
    assert pager["carries"] == {"text": True, "media": None, "templates": False, "calls": None}
    assert from_api["pager"] == {key: pager[key] for key in from_api["pager"]}
    assert set(from_api["pager"]) >= {"colour", "address", "carries", "takes_files"}
    calling = [c for c in boot["channelCatalogue"] if c["carries"]["calls"]]
    assert calling and all(c["carries"]["calls"]["ringing"] and c["carries"]["calls"]["answered"] for c in calling)
    assert all(not c["carries"]["text"] for c in calling if c.get("text_refusal"))


def test_the_catalogue_keeps_a_switched_off_plugins_channels_for_drawing_their_chats(app, agent, signed_in):
    app.extensions["switchboard"].plugins.set_enabled("pager_plugin", False)
    boot = boot_of(signed_in(agent))
    assert "pager" not in [c["key"] for c in boot["channels"]]
    assert {"key": "pager", "label": "Pager", "colour": {"background": "#123456", "text": "#abcdef"}}.items() <= \
        next(c for c in boot["channelCatalogue"] if c["key"] == "pager").items()


def test_all_channels_come_from_the_api_in_the_readers_language_saying_which_are_usable(app, agent, api):
    """A page that changes language asks the API again for every channel's name, those it
    can't use now included: older chats on them are drawn with their names too."""
    from host.extensions import db

    app.extensions["switchboard"].plugins.set_enabled("twilio_channel", False)
    agent.language = "es"
    db.session.commit()
    client = api(agent)
    usable = client.get("/api/v1/channels").get_json()
    assert "voice" not in [c["key"] for c in usable]
    assert usable and all(c["usable"] for c in usable)
    every = {c["key"]: c for c in client.get("/api/v1/channels?all=true").get_json()}
    assert every["voice"]["label"] == "Voz"
    assert every["voice"]["usable"] is False
    assert every["voice"]["carries"]["calls"]["ringing"] == "call:incoming"
    assert every["pager"]["usable"] is True
    assert set(every) >= {c["key"] for c in usable}

    refused = client.get("/api/v1/channels?all=maybe")
    assert refused.status_code == 422
    assert "all" in refused.get_json()["errors"]["query"]


def test_the_api_documents_asking_for_every_channel(app, api, agent):
    spec = api(agent).get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/channels"]["get"]
    parameter = next(p for p in operation["parameters"] if p["name"] == "all")
    assert parameter["in"] == "query" and "switched off" in parameter["description"]


def test_tabs_keep_their_stylesheet_when_the_page_fetches_them_again(app, agent, api, signed_in):
    """A page follows plugins switched on and off through /api/v1/widget/tabs: the tabs it
    gets there are the ones it got with the page, stylesheet included."""
    fetched = api(agent).get("/api/v1/widget/tabs").json
    assert fetched == boot_of(signed_in(agent))["tabs"]
    assert any(tab["stylesheet"] for tab in fetched)


def test_addresses_move_between_channels_by_their_formats(app):
    assert channel_address("pager", "+15550123") == "pager:+15550123"
    assert channel_address("pager", "pager:+15550123") == "pager:+15550123"
    assert channel_address("loopback", "pager:+15550123") == "pager:+15550123"  # a text address stays as it is
    descriptions = app.extensions["switchboard"].descriptions
    for key, description in descriptions.items():
        if description.address.kind == "phone" and key != "pager":
            assert channel_address(key, "pager:+15550123") == description.address.prefix + "+15550123"
            assert channel_address("pager", description.address.prefix + "+15550123") == "pager:+15550123"


def test_a_call_is_recorded_on_the_channel_that_carries_calls(app):
    descriptions = app.extensions["switchboard"].descriptions
    calling = [d for d in descriptions.values() if d.calls is not None]
    assert calling, "a built-in channel carries calls"
    for description in descriptions.values():
        expected = description.key if description.calls else next(
            (d.key for d in calling if d.plugin == description.plugin), calling[0].key)
        assert call_channel_for(description.key) == expected


@pytest.mark.parametrize("attributes, problem", [
    ({"colour": ChannelColour("red", "#ffffff")}, "colour"),
    ({"colour": ("#ffffff", "#000000")}, "colour"),
    ({"address_format": AddressFormat("fax")}, "address_format"),
    ({"calls": CallEvents(ringing="", answered="x:answered")}, "calls"),
])
def test_a_description_that_cant_be_drawn_stops_start_up(attributes, problem):
    channel = type("Odd", (Pager,), attributes)()
    with pytest.raises(DescriptionError, match=problem):
        describe("odd_plugin", channel)
