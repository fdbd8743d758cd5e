"""Notifications: after commit only, and one failing plugin does not silence the others."""
from host import hookimpl
from host.emit import commit, emit
from host.events import ContactChanged
from host.extensions import db
from host.models import Group
from host.testing.loopback import webhook

import pytest


class Broken:
    @hookimpl
    def message_received(self, event):
        raise RuntimeError("this plugin is broken")

    @hookimpl
    def contact_changed(self, event):
        raise RuntimeError("this plugin is broken too")


@pytest.fixture
def extra_plugins(loopback):
    return [("loopback", loopback), ("broken", Broken())]


def test_a_failing_plugin_does_not_silence_the_others(app, agent, recorder, caplog):
    response = webhook(app.test_client(), {"id": "m1", "from": "+15550001", "body": "hi"})
    assert response.status_code == 200  # the customer's message is safe regardless
    assert recorder.names() == ["chat_started", "message_received"]
    assert "plugin broken failed handling message_received" in caplog.text


def test_events_wait_for_the_commit(app, recorder):
    emit(ContactChanged(contact={"id": 1}))
    assert recorder.events == []
    db.session.add(Group(name="Later"))
    commit()
    assert recorder.names() == ["contact_changed"]


def test_rolled_back_events_are_never_dispatched(app, recorder):
    emit(ContactChanged(contact={"id": 1}))
    db.session.rollback()
    commit()
    assert recorder.events == []
