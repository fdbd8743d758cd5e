"""Settings forms generated from a plugin's schema: defaults shown, an unchanged form saves,
rows instead of JSON, widgets chosen by field type, errors that name the field."""
import pytest
from marshmallow import Schema, fields

from host import settings
from host.contracts import PluginSettings
from host import hookimpl
from host.settings_fields import GroupMapping, Option, Picklist, TimeZone, WeeklyHours
from host.testing.forms import as_multidict, form_data


class ShopSettings(Schema):
    retries = fields.Int(load_default=3, metadata={"label": "Retries"})
    tags = fields.List(fields.Str(), load_default=lambda: ["vip"], metadata={"label": "Tags"})
    weights = fields.Dict(keys=fields.Str(), values=fields.Int(), load_default=dict, metadata={"label": "Weights"})
    lines = Picklist(lambda: [Option("+14155550100", "Main line", "SMS"), Option("+14155550101", "Back office")],
                     metadata={"label": "Lines"})
    line_groups = GroupMapping(lambda: [Option("+14155550100")], key_label="Line", metadata={"label": "Line → group"})
    hours = WeeklyHours(load_default=lambda: {"mon": ["08:00-12:00", "13:00-18:00"]}, metadata={"label": "Hours"})
    zone = TimeZone(load_default="Europe/Berlin", metadata={"label": "Zone"})
    loud = fields.Bool(load_default=True, metadata={"label": "Loud"})


class ShopPlugin:
    @hookimpl
    def register_settings_schemas(self, app):
        return PluginSettings(schema=ShopSettings, title="Shop")


@pytest.fixture
def extra_plugins():
    return [("shop", ShopPlugin())]


PAGE = "/admin/plugins/shop/settings"


def test_a_fresh_form_shows_every_default_and_saves_unchanged(app, admin, signed_in):
    client = signed_in(admin)
    page = client.get(PAGE).get_data(as_text=True)
    posted = as_multidict(form_data(page, "settings-form"))
    assert "<textarea" not in page  # nothing is typed as JSON
    assert posted["retries"] == ["3"] and posted["tags"] == ["vip", ""] and posted["zone"] == ["Europe/Berlin"]
    assert posted["hours.mon.from"] == ["08:00", "13:00"] and posted["hours.mon.to"] == ["12:00", "18:00"]
    assert posted["loud"] == ["on"]
    response = client.post(PAGE, data=posted)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert settings.get("shop") == {"retries": 3, "tags": ["vip"], "weights": {}, "lines": [], "line_groups": {},
                                    "hours": {"mon": ["08:00-12:00", "13:00-18:00"]}, "zone": "Europe/Berlin",
                                    "loud": True}


def test_widgets_follow_the_declared_field_types(app, admin, signed_in):
    from host.extensions import db
    from host.models import Group

    db.session.add(Group(name="Returns desk"))
    db.session.commit()
    page = signed_in(admin).get(PAGE).get_data(as_text=True)
    assert 'type="number" id="f-retries"' in page
    # a picklist offers the plugin's options as boxes to tick, with what a person needs to choose
    assert 'type="checkbox" name="lines" value="+14155550100"' in page and "Main line" in page
    # a group mapping is a table whose group column lists the groups by name
    assert '<option value="Returns desk"' in page and '<option value="Support"' in page and "<th>Line</th>" in page
    # the time zone is picked from the IANA names, searchable as one types
    assert '<option value="America/New_York">' in page and 'list="f-zone-zones"' in page
    for day in ("Monday", "Sunday"):
        assert day in page


def test_rows_tables_and_hours_are_saved_without_json(app, admin, signed_in):
    client = signed_in(admin)
    response = client.post(PAGE, data={
        "csrf_token": client.csrf_token, "retries": "5", "tags": ["a", "", "b", "a"],
        "weights.key": ["x", "", "y"], "weights.value": ["1", "", "2"],
        "lines": ["+14155550101", "+14155550199"], "line_groups.key": ["+14155550100"],
        "line_groups.value": ["Support"], "hours.tue.from": ["09:30", ""], "hours.tue.to": ["17:00", ""],
        "zone": "America/New_York"})
    assert response.status_code == 302, response.get_data(as_text=True)
    saved = settings.get("shop")
    assert saved["tags"] == ["a", "b"] and saved["weights"] == {"x": 1, "y": 2}
    assert saved["lines"] == ["+14155550101", "+14155550199"] and saved["line_groups"] == {"+14155550100": "Support"}
    assert saved["hours"] == {"tue": ["09:30-17:00"]} and saved["loud"] is False
    page = client.get(PAGE).get_data(as_text=True)
    # the typed number that isn't one of the options stays as a typed row
    assert 'name="lines" value="+14155550199"' in page and 'value="+14155550101" checked' in page


def test_errors_name_the_field_in_words_and_keep_the_input(app, admin, signed_in):
    client = signed_in(admin)
    response = client.post(PAGE, data={
        "csrf_token": client.csrf_token, "retries": "many", "weights.key": ["x"], "weights.value": ["heavy"],
        "line_groups.key": ["+14155550100"], "line_groups.value": [""],
        "hours.wed.from": ["10:00"], "hours.wed.to": [""], "zone": "Mars/Olympus"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for sentence in ("Retries: Not a valid integer.", "Line → group: +14155550100: choose a group.",
                     "Hours: Wednesday: give both the opening and the closing time.",
                     "Zone: &#39;Mars/Olympus&#39; is not a time zone name", "Weights:"):
        assert sentence in page, sentence
    assert 'value="many"' in page and 'value="Mars/Olympus"' in page
    assert settings.stored("shop") == {}


def test_marshmallows_refusals_on_the_form_speak_the_admins_language(app, admin, signed_in):
    client = signed_in(admin)
    response = client.post(PAGE, data={"csrf_token": client.csrf_token, "retries": "many"},
                           headers={"Accept-Language": "es"})
    page = response.get_data(as_text=True)
    assert "Retries: No es un número entero válido." in page  # the notice at the top
    assert page.count("No es un número entero válido.") == 2  # and beside the field
    assert "Not a valid integer." not in page


def test_hours_must_open_before_they_close(app, admin, signed_in):
    client = signed_in(admin)
    response = client.post(PAGE, data={"csrf_token": client.csrf_token,
                                       "hours.fri.from": ["18:00"], "hours.fri.to": ["09:00"]})
    assert "Hours: Friday: &#39;18:00-09:00&#39; should look like 09:00-17:00 (start before end)." \
        in response.get_data(as_text=True)


def test_weekly_hours_name_the_days_in_the_agents_language(app, admin, signed_in):
    client = signed_in(admin)
    page = client.get(PAGE, headers={"Accept-Language": "pl"}).get_data(as_text=True)
    assert '<span class="day-name">Poniedziałek</span>' in page and '<span class="day-name">Niedziela</span>' in page
    assert "Monday" not in page
    response = client.post(PAGE, headers={"Accept-Language": "es"}, data={
        "csrf_token": client.csrf_token, "hours.wed.from": ["10:00"], "hours.wed.to": [""]})
    assert "Miércoles: indica tanto la hora de apertura como la de cierre." in response.get_data(as_text=True)
