"""CSV import (per-row error report, chunks, duplicates) and export (round trip)."""
from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest

from host.extensions import db
from host.models import Chat
from plugins.contacts.models import Contact, ContactNote

BASE = "/api/v1/contacts"
HEADER = "name,email,phone,whatsapp,preferred_channel,group,notes\n"


def count(model=Contact):
    return db.session.execute(db.select(db.func.count()).select_from(model)).scalar()


@pytest.fixture
def client(api, agent, admin):  # import and export are for admins
    return api(admin)


def upload(client, text, **extra):
    response = client.post(f"{BASE}/import", json={"csv": text, **extra})
    assert response.status_code == 200, response.json
    return response.json


def test_good_rows_are_saved_and_bad_rows_reported_by_row_field_and_sentence(client):
    text = HEADER + (
        'Maria Lopez,maria@example.com,(415) 555-0123,,sms,Sales,"VIP\n\nPrefers SMS"\n'
        "Bad Phone,,555-CALL-NOW,,,,\n"
        "Bad Email,not-an-email,,,,,\n"
        ",,,,,,\n"
        "Bad Group,,+14155550199,,,Nowhere,\n"
        "Bad Channel,,+14155550100,,fax,,\n"
        "Tom,,,+44 7911 123456,whatsapp,,\n"
    )
    report = upload(client, text)
    assert (report["rows"], report["created"], report["updated"], report["skipped"]) == (6, 2, 0, 0)
    errors = [(e["row"], e["field"]) for e in report["errors"]]
    assert errors == [(3, "phone"), (4, "email"), (6, "group"), (7, "preferred_channel")]
    assert all(e["message"].endswith(".") and len(e["message"]) > 20 for e in report["errors"])
    assert "555-CALL-NOW" in report["errors"][0]["message"]
    maria = db.session.execute(db.select(Contact).where(Contact.name == "Maria Lopez")).scalar_one()
    assert (maria.email, maria.identity("phone").address, maria.preferred_channel, maria.group.name) == (
        "maria@example.com", "+14155550123", "sms", "Sales")
    assert sorted(n.body for n in maria.notes) == ["Prefers SMS", "VIP"]
    assert count() == 2


def test_a_row_with_several_problems_reports_each_and_saves_nothing(client):
    report = upload(client, HEADER + "X,bad,12,also bad,,,\n")
    assert {(e["row"], e["field"]) for e in report["errors"]} == {(2, "email"), (2, "phone"), (2, "whatsapp")}
    assert count() == 0


def test_duplicates_report_skip_or_update(client):
    upload(client, HEADER + "Ann,ann@example.com,+14155550123,,,,\n")
    again = HEADER + "Ann Lee,,415-555-0123,,,,Met at the fair\nBen,ann@example.com,,,,,\n"
    report = upload(client, again)
    assert [(e["row"], e["field"], e["existing_id"] is not None) for e in report["errors"]] == [
        (2, "phone", True), (3, "email", True)]
    assert "Ann" in report["errors"][0]["message"]
    assert upload(client, again, on_duplicate="skip")["skipped"] == 2
    report = upload(client, HEADER + "Ann Lee,,415-555-0123,+14155550123,,,Met at the fair\n",
                    on_duplicate="update")
    assert report["updated"] == 1 and report["errors"] == []
    ann = db.session.execute(db.select(Contact)).scalar_one()
    assert (ann.name, ann.email, ann.identity("whatsapp").address) == (
        "Ann Lee", "ann@example.com", "whatsapp:+14155550123")
    assert [n.body for n in ann.notes] == ["Met at the fair"]


def test_duplicates_inside_one_file_point_at_the_earlier_row(client):
    report = upload(client, HEADER + "Ann,,+14155550123,,,,\nAnn again,,+1 415 555 0123,,,,\n")
    assert report["created"] == 1 and [(e["row"], e["field"]) for e in report["errors"]] == [(3, "phone")]


def test_chunks_report_file_row_numbers(client):
    report = upload(client, HEADER + "Ok,,+14155550123,,,,\nBad,,12,,,,\n", first_row=502)
    assert [e["row"] for e in report["errors"]] == [503]


def test_header_problems_are_reported_on_row_1(client):
    assert upload(client, "")["errors"][0]["row"] == 1
    report = upload(client, "foo,bar\n1,2\n")
    assert report["errors"][0]["field"] == "file" and "header" in report["errors"][0]["message"]
    report = upload(client, "name,phone,shoe_size\nAnn,+14155550123,42\n")
    assert report["created"] == 1 and "shoe_size" in report["errors"][0]["message"]
    report = upload(client, "\ufeffName,Phone\r\nBen,+14155550199\r\n")  # Excel's BOM and CRLF
    assert report["created"] == 1 and report["errors"] == []


def test_extra_cells_and_broken_quotes_are_reported(client):
    report = upload(client, "name,phone\nAnn,+14155550123,extra\n")
    assert report["errors"][0]["row"] == 2 and "3 cells" in report["errors"][0]["message"]
    report = upload(client, 'name,phone\n"Ben,+14155550199\n')
    assert report["errors"] and report["errors"][-1]["field"] == "file"
    assert count() == 0


def test_validation_of_the_request(client):
    assert client.post(f"{BASE}/import", json={}).status_code == 422
    assert client.post(f"{BASE}/import", json={"csv": "name\n", "on_duplicate": "merge"}).status_code == 422


def test_export_round_trips_through_import(client, agent):
    client.post(BASE, json={"name": "Maria, \"M\" Lopez", "email": "maria@example.com", "phone": "+14155550123",
                            "whatsapp": "+447911123456", "preferred_channel": "whatsapp", "note": "First"})
    contact = db.session.execute(db.select(Contact)).scalar_one()
    client.post(f"{BASE}/{contact.id}/notes", json={"body": "Second\nline"})
    client.post(BASE, json={"name": "=HYPERLINK(\"http://evil\")", "phone": "+14155550199"})
    response = client.get(f"{BASE}/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    created = rows[0].pop("Created")
    assert rows[0] == {"Name": 'Maria, "M" Lopez', "Email": "maria@example.com", "Phone": "+14155550123",
                       "WhatsApp": "+447911123456", "Preferred channel": "whatsapp", "Group": "",
                       "Notes": "First\n\nSecond\nline", "Last message": ""}
    assert created.endswith("+00:00")  # an agent who chose no zone reads UTC, and is told so
    assert rows[1]["Name"].startswith("'=")  # a spreadsheet shows it, never runs it

    for model in (ContactNote, Contact):
        db.session.execute(db.delete(model))
    db.session.commit()
    report = upload(client, text)
    assert (report["created"], report["errors"]) == (2, [])
    names = set(db.session.execute(db.select(Contact.name)).scalars())
    assert names == {'Maria, "M" Lopez', '=HYPERLINK("http://evil")'}


def test_export_streams_many_contacts(client):
    lines = "".join(f"Person {i},,+1415555{i:04d},,,,\n" for i in range(1200))
    report = upload(client, HEADER + lines)
    assert report["created"] + len(report["errors"]) == 1200
    text = client.get(f"{BASE}/export.csv").get_data(as_text=True)
    assert len(text.strip().splitlines()) == report["created"] + 1


def test_export_times_are_iso_8601_in_the_agents_zone_under_headers_in_their_language(client, app):
    assert client.patch("/api/v1/me", json={"language": "es", "time_zone": "Europe/Warsaw"}).status_code == 200
    client.post(BASE, json={"name": "Ana", "phone": "+14155550123"})
    contact = db.session.execute(db.select(Contact)).scalar_one()
    contact.created_at = datetime(2026, 1, 15, 12, 0)           # winter: UTC+1
    chats = [Chat(channel="sms", customer_address="+14155550123", contact_id=contact.id,
                  last_message_at=datetime(2026, 7, 1, 12, 0)),  # summer: UTC+2
             Chat(channel="sms", customer_address="+14155550123", contact_id=contact.id,
                  last_message_at=datetime(2026, 6, 1, 9, 30))]
    db.session.add_all(chats)
    db.session.commit()

    text = client.get(f"{BASE}/export.csv").get_data(as_text=True)
    header, row = list(csv.reader(io.StringIO(text)))
    assert header == ["Nombre", "Correo electrónico", "Teléfono", "WhatsApp", "Canal preferido", "Grupo",
                      "Notas", "Creado", "Último mensaje"]
    assert row[-2:] == ["2026-01-15T13:00:00+01:00", "2026-07-01T14:00:00+02:00"]

    db.session.execute(db.delete(Chat))
    db.session.execute(db.delete(Contact))
    db.session.commit()
    client.patch("/api/v1/me", json={"language": "pl"})
    report = upload(client, text)  # a Spanish file imports for a Polish admin, times left aside
    assert (report["created"], report["errors"]) == (1, [])
