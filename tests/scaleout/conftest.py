"""Fixtures for tests that run real Switchboard processes (helpers in support.py)."""
import pytest

from tests.scaleout.support import GatewayServer


@pytest.fixture
def gateway():
    server = GatewayServer()
    yield server
    server.server.shutdown()
