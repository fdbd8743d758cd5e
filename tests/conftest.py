"""Project-wide test configuration; the fixtures come from host.testing (pytest11)."""
import pytest

from host.testing.loopback import LoopbackPlugin


@pytest.fixture
def loopback():
    return LoopbackPlugin()


@pytest.fixture
def extra_plugins(loopback):
    return [("loopback", loopback)]
