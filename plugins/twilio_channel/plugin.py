"""Twilio: SMS, MMS, WhatsApp and voice channels, and the SMS/WhatsApp/Logs tabs."""
from host import hookimpl
from host.contracts import WidgetTab
from host.plugin_kit import assets_blueprint, tab_script

NAME = "twilio_channel"


@hookimpl
def register_blueprints(app):
    return [assets_blueprint(NAME, __file__)]


@hookimpl
def register_widget_tabs(app):
    return [
        WidgetTab(key="sms", title="SMS", script=tab_script(NAME, "sms_tab.js"), order=20, icon="💬"),
        WidgetTab(key="whatsapp", title="WhatsApp", script=tab_script(NAME, "whatsapp_tab.js"), order=30, icon="🟢"),
        WidgetTab(key="logs", title="Logs", script=tab_script(NAME, "logs_tab.js"), order=50, icon="📜"),
    ]
