"""Inbox search on SQLite (FTS5) and PostgreSQL (full-text): customers and message text
in the chats an agent may see, with filters by channel, group, status and unread."""
from __future__ import annotations

import pytest

from host.chats import receive, reply
from host.contracts import InboundMessage
from host.extensions import db
from host.models import Chat, ChatRead, Group, Message


@pytest.fixture(params=["sqlite", "postgresql"])
def switchboard_config(request):
    if request.param == "postgresql":
        return {"DATABASE_URL": request.getfixturevalue("postgres_url")}
    return {}


@pytest.fixture
def sales(make_agent):
    return make_agent("sales@example.test", groups=("Sales",), name="Sol Sales")


counter = iter(range(1, 10**6))


def customer(address, *bodies, name="", channel="loopback"):
    chat_id = None
    for body in bodies:
        stored = receive(InboundMessage(channel=channel, external_id=f"m-{next(counter)}", from_address=address,
                                        to_address="our-number", body=body, profile={"name": name} if name else {}))
        chat_id = stored.chat_id
    return db.session.get(Chat, chat_id)


def move_to(chat, group_name):
    group = db.session.execute(db.select(Group).where(Group.name == group_name)).scalar_one()
    chat.group_id = group.id
    db.session.commit()
    return group


def find(client, q="", **filters):
    response = client.get("/api/v1/search", query_string={"q": q, **filters})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def message_texts(result):
    return [m["snippet"] for m in result["messages"]]


def customer_names(result):
    return [c["customer_name"] or c["customer_address"] for c in result["customers"]]


def test_message_text_is_found_in_visible_chats_only(api, agent, sales, admin):
    maria = customer("+14155550101", "Where is my refund?", "Order 1234 never arrived", name="Maria Garcia")
    customer("+14155550102", "Refund please, the parcel was damaged", name="Otto Sales")
    sales_chat = db.session.execute(db.select(Chat).where(Chat.customer_address == "+14155550102")).scalar_one()
    move_to(sales_chat, "Sales")

    assert message_texts(find(api(agent), "refund")) == ["Where is my refund?"]
    assert message_texts(find(api(sales), "refund")) == ["Refund please, the parcel was damaged"]
    assert message_texts(find(api(admin), "refund")) == ["Refund please, the parcel was damaged", "Where is my refund?"]
    hit = find(api(agent), "refund")["messages"][0]
    assert hit["chat_id"] == maria.id and hit["chat"]["customer_name"] == "Maria Garcia"
    assert hit["direction"] == "in" and hit["chat"]["unread"] == 2


def test_words_must_all_occur_and_the_last_may_be_a_words_start(api, agent):
    customer("+14155550101", "The parcel arrived damaged", "Parcel tracking number please", "Damaged box")
    client = api(agent)
    assert message_texts(find(client, "parcel damaged")) == ["The parcel arrived damaged"]
    assert message_texts(find(client, "PARCEL trac")) == ["Parcel tracking number please"]
    assert message_texts(find(client, "dam")) == ["Damaged box", "The parcel arrived damaged"]
    assert message_texts(find(client, "damaged parcel")) == ["The parcel arrived damaged"]  # any order
    assert find(client, "parcelx")["messages"] == []


def test_operators_and_quotes_typed_are_plain_text(api, agent):
    customer("+14155550101", 'He said "NEAR" OR maybe not: it\'s AND-ed * ^ (x)')
    client = api(agent)
    for q in ['"NEAR', "OR", "NEAR(", "it's", "AND-ed", "*", "^", "(x", "':*", "\\", "!&|"]:
        response = client.get("/api/v1/search", query_string={"q": q})
        assert response.status_code == 200, (q, response.get_data(as_text=True))
    assert message_texts(find(client, "AND-ed")) == ['He said "NEAR" OR maybe not: it\'s AND-ed * ^ (x)']


def test_customers_are_found_by_name_and_by_digits_of_their_number(api, agent, sales):
    customer("+14155550101", "hi", name="Maria Garcia")
    customer("+442079460958", "hello", name="Ann Lee")
    hidden = customer("+14155550177", "hey", name="Maria Hidden")
    move_to(hidden, "Sales")
    client = api(agent)
    assert customer_names(find(client, "maria")) == ["Maria Garcia"]
    assert customer_names(find(client, "gar")) == ["Maria Garcia"]
    assert customer_names(find(client, "020 7946 0958")) == []  # national form: digits of the E.164 number differ
    assert customer_names(find(client, "7946 0958")) == ["Ann Lee"]
    assert customer_names(find(client, "555")) == ["Maria Garcia"]
    assert customer_names(find(client, "+1 415 555 0101")) == ["Maria Garcia"]
    assert customer_names(find(api(sales), "maria")) == ["Maria Hidden"]


def test_a_renamed_customer_is_found_by_the_new_name(api, agent):
    chat = customer("+14155550101", "hi", name="Old Name")
    chat.customer_name = "Brand New"
    db.session.commit()
    client = api(agent)
    assert customer_names(find(client, "brand")) == ["Brand New"]
    assert find(client, "old")["customers"] == []


def test_filters_by_channel_group_status_and_unread(api, agent, admin, loopback):
    first = customer("+14155550101", "invoice question", name="First")
    second = customer("+14155550102", "invoice copy", name="Second")
    third = customer("+14155550103", "invoice again", name="Third")
    move_to(third, "Sales")
    second.status, second.archived_at = "archived", second.last_message_at
    db.session.commit()
    client = api(admin)
    support = db.session.execute(db.select(Group.id).where(Group.name == "Support")).scalar_one()
    sales_id = db.session.execute(db.select(Group.id).where(Group.name == "Sales")).scalar_one()

    assert customer_names(find(client)) == ["Third", "Second", "First"]  # filters alone: newest activity first
    assert customer_names(find(client, group_id=sales_id)) == ["Third"]
    assert message_texts(find(client, "invoice", group_id=support)) == ["invoice copy", "invoice question"]
    assert message_texts(find(client, "invoice", status="archived")) == ["invoice copy"]
    assert customer_names(find(client, status="queued")) == ["Third", "First"]
    assert find(client, "invoice", channel="sms")["messages"] == []
    assert len(find(client, "invoice", channel="loopback")["messages"]) == 3

    # Unread: what this agent has not read yet.
    def read(chat, who):
        last = db.session.execute(db.select(Message.id).where(Message.chat_id == chat.id)).scalars().all()[-1]
        db.session.add(ChatRead(agent_id=who.id, chat_id=chat.id, last_read_message_id=last))
        db.session.commit()

    read(first, admin)
    read(third, agent)  # another agent's reading changes nothing for the admin
    assert customer_names(find(client, unread="true")) == ["Third", "Second"]
    assert message_texts(find(client, "invoice", unread="true")) == ["invoice again", "invoice copy"]
    read(third, admin)
    assert customer_names(find(client, unread="true")) == ["Second"]
    customer("+14155550101", "one more thing")  # a new message makes First unread again
    assert customer_names(find(client, unread="true")) == ["First", "Second"]
    # The agent's own view: Sales' chat is not theirs, whatever the filter.
    assert customer_names(find(api(agent), unread="true")) == ["First", "Second"]


def test_agent_replies_are_found_too(api, agent):
    chat = customer("+14155550101", "hello")
    reply(chat, agent, body="Your voucher code is SPRING24")
    assert message_texts(find(api(agent), "spring24")) == ["Your voucher code is SPRING24"]
    assert find(api(agent), "spring24")["messages"][0]["direction"] == "out"


def test_bad_filters_name_the_field(api, agent):
    client = api(agent)
    assert client.get("/api/v1/search", query_string={"status": "closed"}).json["errors"]["query"]["status"] == [
        "Status is one of queued, active or archived."]
    assert "q" in client.get("/api/v1/search", query_string={"q": "x" * 201}).json["errors"]["query"]
    assert client.get("/api/v1/search", query_string={"group_id": "-1"}).status_code == 422


def test_long_messages_come_back_as_a_snippet_around_the_word(api, agent):
    body = ("Lorem ipsum dolor sit amet " * 10) + "the tracking number is ZX991 " + ("consectetur adipiscing " * 10)
    customer("+14155550101", body)
    snippet = message_texts(find(api(agent), "zx991"))[0]
    assert "tracking number is ZX991" in snippet and snippet.startswith("…") and snippet.endswith("…")
    assert len(snippet) <= 142


@pytest.mark.parametrize("switchboard_config", ["postgresql"], indirect=True)  # a planner setting SQLite lacks
def test_postgresql_plans_the_search_for_data_in_memory_for_that_transaction_only(app, agent):
    from host import search

    assert db.engine.dialect.name == "postgresql"
    default = db.session.execute(db.text("SHOW random_page_cost")).scalar()
    db.session.rollback()
    search.search(agent, "refund", search.Filters())
    assert db.session.execute(db.text("SHOW random_page_cost")).scalar() == "1.1"
    assert db.session.execute(db.text("SHOW max_parallel_workers_per_gather")).scalar() == "0"
    # Planned for its own words even once the driver has prepared the statement.
    assert db.session.execute(db.text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"
    db.session.rollback()
    assert db.session.execute(db.text("SHOW random_page_cost")).scalar() == default != "1.1"
    assert db.session.execute(db.text("SHOW plan_cache_mode")).scalar() == "auto"


def _search_rows_differ_from_their_chats():
    """Rows of PostgreSQL's message_search that disagree with their message and chat, and
    messages without a row (empty when the copies are in step)."""
    return db.session.execute(db.text(
        "SELECT m.id, s.message_id FROM messages m JOIN chats c ON c.id = m.chat_id "
        "FULL JOIN message_search s ON s.message_id = m.id "
        "WHERE s.message_id IS NULL OR m.id IS NULL OR s.chat_id <> m.chat_id OR s.status <> c.status "
        "OR s.channel <> c.channel OR s.group_id IS DISTINCT FROM c.group_id "
        "OR s.agent_id IS DISTINCT FROM c.agent_id "
        "OR s.search_vector <> to_tsvector('simple', m.body)")).all()


@pytest.mark.parametrize("switchboard_config", ["postgresql"], indirect=True)  # SQLite reads the chat itself
def test_postgresql_search_rows_follow_each_write_in_the_writers_transaction(api, agent, admin, sales):
    from host import search

    chat = customer("+14155550101", "invoice question", "second invoice", name="First")
    other = customer("+14155550102", "invoice copy", name="Second")
    assert _search_rows_differ_from_their_chats() == []

    def texts(who, **filters):
        return [m.body for m in search.search(who, "invoice", search.Filters(**filters)).messages]

    # Status, group and agent change in one transaction; the search sees them before the commit.
    chat.status = "archived"
    db.session.flush()
    assert texts(admin, status="archived") == ["second invoice", "invoice question"]
    assert texts(admin, status="queued") == ["invoice copy"]
    move_to(other, "Sales")
    assert texts(agent) == ["second invoice", "invoice question"]
    assert texts(sales) == ["invoice copy"]
    other.agent_id = agent.id  # assigned to the agent: visible to them in any group
    db.session.commit()
    assert texts(agent) == ["invoice copy", "second invoice", "invoice question"]
    chat.channel = "sms"
    db.session.commit()
    assert texts(admin, channel="sms") == ["second invoice", "invoice question"]
    assert _search_rows_differ_from_their_chats() == []

    # A message's text edited, a message removed, a rolled-back change.
    edited = db.session.execute(db.select(Message).where(Message.body == "invoice copy")).scalar_one()
    edited.body = "receipt copy"
    db.session.commit()
    assert texts(admin) == ["second invoice", "invoice question"]
    db.session.delete(db.session.execute(db.select(Message).where(Message.body == "second invoice")).scalar_one())
    chat.status = "active"
    db.session.flush()
    assert texts(admin, status="active") == ["invoice question"]
    db.session.rollback()
    assert texts(admin, status="archived") == ["second invoice", "invoice question"]
    assert _search_rows_differ_from_their_chats() == []


@pytest.mark.parametrize("switchboard_config", ["postgresql"], indirect=True)
def test_postgresql_message_search_reads_no_chat_unless_unread_is_asked(app, agent):
    """The walk of the newest messages checks the rule and the filters on message_search's
    own row: a chat read per message checked cost most of a search's work."""
    from host import search

    def plan(filters):
        statement = search.pg_message_ids(["invoice"], agent, filters, 20)
        compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
        return "\n".join(db.session.execute(db.text(f"EXPLAIN {compiled}")).scalars())

    for filters in (search.Filters(), search.Filters(status="queued", channel="sms"), search.Filters(group_id=1)):
        text = plan(filters)
        assert "message_search" in text and " chats" not in text, text
    assert " chats" in plan(search.Filters(unread=True))


@pytest.mark.parametrize("switchboard_config", ["postgresql"], indirect=True)
def test_postgresql_a_stored_message_goes_into_the_search_index_not_a_pending_list(app, agent):
    """GIN's pending list is read in full by every search until it is merged; message_search
    is written on every message and chat change, so its index is written through."""
    customer("+14155550101", "where is my parcel")
    pending_pages = db.session.execute(db.text(
        "SELECT gin_clean_pending_list('ix_message_search_vector'::regclass)")).scalar()
    assert pending_pages == 0
    assert db.session.execute(db.text(
        "SELECT reloptions FROM pg_class WHERE relname = 'ix_message_search_vector'")).scalar() == ["fastupdate=off"]
