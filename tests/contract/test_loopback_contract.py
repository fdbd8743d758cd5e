"""The loopback channel passes the channel contract (the kit's own reference plugin)."""
import pytest

from host.testing.contracts import ChannelContract
from host.testing.loopback import LoopbackWebhooks


class TestLoopbackChannel(ChannelContract):
    @pytest.fixture
    def plugin_name(self):
        return "loopback"

    @pytest.fixture
    def channel_key(self):
        return "loopback"

    @pytest.fixture
    def customer_address(self):
        return "+15550100"

    @pytest.fixture
    def webhooks(self):
        return LoopbackWebhooks()

    @pytest.fixture
    def sent(self, loopback):
        return loopback.channel.records
