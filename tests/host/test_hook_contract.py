"""The hook contract: documented in the README, exercised by tests, checked at start-up."""
from pathlib import Path

import pluggy
import pytest

from host import hookimpl
from host.hookdoc import hook_names, is_question, readme_block, render
from host.events import ALL_EVENTS

ROOT = Path(__file__).resolve().parents[2]


def test_readme_hook_reference_is_generated_from_hookspecs():
    readme = (ROOT / "README.md").read_text()
    assert readme_block(readme) == render(), "run `python -m host.hookdoc` and paste it into README.md"


def test_every_hook_is_mentioned_by_a_test_other_than_this_one():
    files = [*(ROOT / "tests").rglob("*.py"), *(ROOT / "host" / "testing").rglob("*.py")]
    sources = "\n".join(p.read_text() for p in files if p.name != Path(__file__).name)
    missing = [name for name in hook_names() if f"def {name}(" not in sources and f'"{name}"' not in sources]
    assert missing == []


def test_every_notification_hook_has_an_event_dataclass():
    notifications = {n for n in hook_names() if not n.startswith("register_") and not is_question(n)}
    assert {e.hook for e in ALL_EVENTS} == notifications
    assert {n for n in hook_names() if is_question(n)} == {"resolve_contact", "resolve_contacts", "route_chat",
                                                           "check_consent", "send_message"}


def test_a_misspelt_hook_fails_loudly_at_start_up(tmp_path):
    from host import create_app

    class Typo:
        @hookimpl
        def mesage_received(self, event):  # misspelt on purpose
            pass

    with pytest.raises(pluggy.PluginValidationError, match="mesage_received"):
        create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k" * 32, "EXTRA_PLUGINS": [("typo", Typo())]})


def test_duplicate_registrations_fail_fast(tmp_path):
    from host import create_app
    from host.registry import RegistrationError
    from host.testing.loopback import LoopbackPlugin

    class Second(LoopbackPlugin):
        pass

    with pytest.raises(Exception) as info:
        create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k" * 32,
                    "EXTRA_PLUGINS": [("one", LoopbackPlugin()), ("two", Second())]})
    assert isinstance(info.value, (RegistrationError, ValueError, AssertionError))
    assert "loopback" in str(info.value)
