"""LiveChat: mirrors Switchboard chats into LiveChat and back."""
from host import hookimpl
from host.contracts import WidgetTab
from host.plugin_kit import assets_blueprint, tab_script

NAME = "livechat"


@hookimpl
def register_blueprints(app):
    return [assets_blueprint(NAME, __file__)]


@hookimpl
def register_widget_tabs(app):
    return [WidgetTab(key="livechat", title="LiveChat", script=tab_script(NAME, "livechat_tab.js"), order=60, icon="🗨")]
