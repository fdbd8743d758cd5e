"""The contacts plugin's before_flush is its app's, and only while the plugin is enabled."""
from host.extensions import db
from plugins.contacts.models import Contact


def _contact(name):
    contact = Contact(name=name)
    db.session.add(contact)
    db.session.commit()
    return contact


def test_the_search_text_follows_the_name_while_the_plugin_is_enabled(app):
    contact = _contact("Ada Lovelace")
    assert "ada" in contact.search_text and contact.sort_name == "ada lovelace"
    contact.name = "Grace Hopper"
    db.session.commit()
    assert "grace" in contact.search_text and "ada" not in contact.search_text


def test_a_disabled_plugins_before_flush_does_not_run(app):
    contact = _contact("Ada Lovelace")
    app.extensions["switchboard"].plugins.set_enabled("contacts", False)
    contact.name = "Grace Hopper"
    db.session.commit()
    assert "ada" in contact.search_text and "grace" not in contact.search_text
    assert contact.sort_name == "ada lovelace"
    app.extensions["switchboard"].plugins.set_enabled("contacts", True)
    contact.name = "Katherine Johnson"
    db.session.commit()
    assert "katherine" in contact.search_text
