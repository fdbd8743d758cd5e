"""The built-in plugins pass the widget-tab and plugin contracts."""
import pytest

from host.testing.contracts import WidgetTabContract


class TestContactsTabs(WidgetTabContract):
    @pytest.fixture
    def plugin_name(self):
        return "contacts"


class TestLiveChatTabs(WidgetTabContract):
    @pytest.fixture
    def plugin_name(self):
        return "livechat"


class TestTwilioTabs(WidgetTabContract):
    @pytest.fixture
    def plugin_name(self):
        return "twilio_channel"
