"""Contacts: customer profiles, the Customer and Contacts tabs, fast search.

The plugin talks to the host only through hooks and host services:

* ``resolve_contact`` gives every chat that starts through a channel a contact
  (:mod:`.resolve`), ``resolve_contacts`` those of an inbox batch in one statement;
  ``check_consent`` refuses sends to opted-out identities;
  ``message_received`` / ``message_status_changed`` keep consent up to date.
* ``/api/v1/contacts`` (:mod:`.api`) is what the tabs and integrators use; edits emit
  ``contact_changed`` with the contact's chat ids, which the host pushes to agents as
  ``contact:updated``.
* Own tables and search index in the Alembic branch ``contacts`` (``migrations/``);
  the only host table written is ``chats.contact_id`` (:mod:`.chat_links`).
"""
from pathlib import Path

from flask_babel import lazy_gettext

from host.plugin_api import hookimpl, PluginSettings, SessionListener, WidgetTab
from host.plugin_api.web import assets_blueprint, tab_script, tab_stylesheet

from . import models  # noqa: F401  (the tables join the metadata for migrations and checks)

NAME = "contacts"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


@hookimpl
def register_blueprints(app):
    from .api import blp

    return [assets_blueprint(NAME, __file__), blp]


@hookimpl
def register_widget_tabs(app):
    return [
        WidgetTab(key="customer", title="Customer", script=tab_script(NAME, "customer_tab.js"), order=10, icon="user",
                  stylesheet=tab_stylesheet(NAME, "contacts.css")),
        WidgetTab(key="contacts", title="Contacts", script=tab_script(NAME, "contacts_tab.js"), order=40, icon="address-book",
                  stylesheet=tab_stylesheet(NAME, "contacts.css")),
    ]


@hookimpl
def register_settings_schemas(app):
    from .settings import ContactsSettingsSchema

    return PluginSettings(schema=ContactsSettingsSchema, title=lazy_gettext("Contacts"),
                          description=lazy_gettext("Customer profiles built from the chats that reach Switchboard."))


@hookimpl
def register_migration_folders(app):
    return [str(MIGRATIONS)]


@hookimpl
def register_session_listeners(app):
    """Contacts' search text and sort name follow their name, email and identities."""
    return [SessionListener("before_flush", models.refresh_derived_fields)]


@hookimpl
def resolve_contact(channel, address, profile):
    from .resolve import resolve

    return resolve(channel, address, profile)


@hookimpl
def resolve_contacts(customers):
    from .resolve import resolve_many

    return resolve_many(customers)


@hookimpl
def check_consent(channel, address):
    from .resolve import consent_refusal

    return consent_refusal(channel, address)


@hookimpl
def message_received(event):
    from .resolve import on_message_received

    on_message_received(event)


@hookimpl
def message_status_changed(event):
    from .resolve import on_status_changed

    on_status_changed(event)
