"""The contacts plugin on PostgreSQL: migrations' search index, duplicates, merge, import.

Uses the host's ``postgres_url`` fixture (skips without a server, fails under CI=true).
"""
from __future__ import annotations

import pytest

from host.extensions import db
from plugins.contacts.models import Contact

pytestmark = pytest.mark.postgres
BASE = "/api/v1/contacts"


@pytest.fixture
def switchboard_config(request):
    return {"DATABASE_URL": request.getfixturevalue("postgres_url")}


def test_contacts_work_end_to_end_on_postgresql(app, agent, admin, api, inbound):
    client, admin_client = api(agent), api(admin)
    assert db.engine.dialect.name == "postgresql"
    chat = inbound("whatsapp", "whatsapp:+14155550123", profile={"name": "María García"}).chat
    inbound("sms", "+14155550123")
    maria = db.session.get(Contact, chat.contact_id)
    assert len(maria.identities) == 2

    ann = client.post(BASE, json={"name": "Ann Lee", "email": "ann@example.org", "phone": "+442079460958"}).json
    assert client.post(BASE, json={"name": "Dup", "email": "ANN@example.org"}).status_code == 409
    names = lambda q: [c["name"] for c in client.get(BASE, query_string={"q": q}).json["items"]]  # noqa: E731
    assert names("garc") == ["María García"]
    assert names("020 7946") == ["Ann Lee"]
    assert names("ann@ex") == ["Ann Lee"]

    merged = admin_client.post(f"{BASE}/{maria.id}/merge", json={"other_id": ann["id"]}).json
    assert merged["email"] == "ann@example.org" and len(merged["identities"]) == 3
    assert names("020 7946") == ["María García"]

    report = admin_client.post(f"{BASE}/import", json={
        "csv": "name,phone\nBen,+14155550199\nBad,12\nBen again,+1 415 555 0199\n"}).json
    assert report["created"] == 1 and [e["row"] for e in report["errors"]] == [3, 4]
    assert client.delete(f"{BASE}/{merged['id']}").status_code == 204
    assert names("garc") == []
    db.engine.dispose()


def test_upgrading_a_database_with_contacts_indexes_them_for_every_tier(postgres_url, tmp_path):
    """Contacts written before the start-token table existed are found after the upgrade."""
    import flask_migrate
    from sqlalchemy import text

    from host import create_app
    from plugins.contacts.search import PG_STARTS, search_contacts

    app = create_app({"DATABASE_URL": postgres_url, "INSTANCE_PATH": str(tmp_path / "inst"), "SECRET_KEY": "k" * 32})
    with app.app_context():
        flask_migrate.upgrade(revision="0001_contacts")
        db.session.add_all([Contact(name="Olga Jones"), Contact(name="Olga Petrova"), Contact(name="Jonas Olsen")])
        db.session.commit()
        db.session.execute(text(f"TRUNCATE {PG_STARTS}"))   # as a database from before 0003 has it
        db.session.commit()
        flask_migrate.upgrade(revision="heads")
        names = lambda q: [c.name for c in search_contacts(db.session, q)]  # noqa: E731
        assert db.session.execute(text(f"SELECT count(DISTINCT contact_id) FROM {PG_STARTS}")).scalar() == 3
        assert names("Olga Jones") == ["Olga Jones"]                   # exact tier
        assert names("olga") == ["Olga Petrova", "Olga Jones"]         # prefix tier, newest first
        assert names("Olga J") == ["Olga Jones"]                       # a one-letter word
        db.session.remove()
        db.engine.dispose()
