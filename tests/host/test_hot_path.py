"""The inbound hot path stays lean: a message to an existing chat loads no group members,
and the event snapshots still carry the group's and the assignee's names."""
import pytest

from host.extensions import db
from host.models import Chat
from host.testing.loopback import webhook


@pytest.fixture
def switchboard_plugins():
    return ""  # the host alone (contacts would add its own lookups)


def test_inbound_to_an_assigned_chat_loads_no_group_members(app, agent, make_agent, recorder, sql_statements):
    for n in range(5):  # a busy group: its members must not be read for every message
        make_agent(f"member{n}@example.test", groups=("Support", "Sales"))
    client = app.test_client()
    assert webhook(client, {"id": "hp-1", "from": "+15550001", "body": "first"}).status_code == 200
    chat = db.session.execute(db.select(Chat)).scalar_one()
    chat.agent_id, chat.status = agent.id, "active"
    db.session.commit()
    db.session.remove()
    sql_statements.clear()

    assert webhook(client, {"id": "hp-2", "from": "+15550001", "body": "second"}).status_code == 200

    assert not [s for s in sql_statements if "agent_groups" in s], sql_statements
    selects = [s[:90] for s in sql_statements if s.startswith("select")]
    # the repeat check and the chat (with its group and assignee joined in); no lazy loads
    assert len(selects) == 2, selects
    snapshot = recorder.of("message_received")[-1].chat
    assert (snapshot["group_name"], snapshot["agent_name"]) == ("Support", "Sam Agent")


def test_groups_page_still_lists_members(app, admin, agent, signed_in):
    page = signed_in(admin).get("/admin/groups").get_data(as_text=True)
    assert "agent@example.test" in page and "admin@example.test" in page
