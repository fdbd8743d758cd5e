"""The plugin's wiring: settings, the search code path, hooks answered first."""
from __future__ import annotations

import pytest
from marshmallow import ValidationError

from host import settings


def test_default_region_setting_is_validated(app):
    with pytest.raises(ValidationError) as info:
        settings.save("contacts", {"default_region": "XX"})
    assert "two-letter" in str(info.value.messages["default_region"])
    settings.save("contacts", {"default_region": "gb"})
    from plugins.contacts.settings import default_region
    assert default_region() == "GB"
    settings.save("contacts", {"default_region": ""})
    assert default_region() == "US"


def test_the_api_searches_through_the_benchmarked_code_path():
    """benchmarks/contacts_search.py times plugins.contacts.search; the API must use it."""
    from plugins.contacts import api, search, service

    assert api.search_contacts is search.search_contacts
    assert api.browse is search.browse
    assert service.search_contacts is search.search_contacts


def test_resolve_contact_is_answered_by_the_plugin(app):
    plugins = app.extensions["switchboard"].plugins
    impls = [i.plugin_name for i in plugins.hook("resolve_contact").get_hookimpls()]
    assert impls.index("contacts") > impls.index("host.defaults")  # pluggy calls the last first


def test_resolve_contacts_is_answered_by_the_plugin(app):
    plugins = app.extensions["switchboard"].plugins
    impls = [i.plugin_name for i in plugins.hook("resolve_contacts").get_hookimpls()]
    assert impls.index("contacts") > impls.index("host.defaults")  # the batch form answers first
