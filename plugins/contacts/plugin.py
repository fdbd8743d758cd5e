"""Contacts: customer profiles shown in the Customer and Contacts tabs."""
from host import hookimpl
from host.contracts import WidgetTab
from host.plugin_kit import assets_blueprint, tab_script

NAME = "contacts"


@hookimpl
def register_blueprints(app):
    return [assets_blueprint(NAME, __file__)]


@hookimpl
def register_widget_tabs(app):
    return [
        WidgetTab(key="customer", title="Customer", script=tab_script(NAME, "customer_tab.js"), order=10, icon="👤"),
        WidgetTab(key="contacts", title="Contacts", script=tab_script(NAME, "contacts_tab.js"), order=40, icon="📇"),
    ]
