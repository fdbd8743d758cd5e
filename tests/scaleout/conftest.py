"""Fixtures for tests that run real Switchboard processes (helpers in support.py)."""
import pytest

from host.testing.pytest_plugin import skip_or_fail


@pytest.fixture
def gateway():
    try:
        from sbx_http_sms.testing import GatewayServer
    except ImportError:
        skip_or_fail("the example plugin is not installed (pip install -e examples/http_sms_gateway)")
    server = GatewayServer()
    yield server
    server.stop()
