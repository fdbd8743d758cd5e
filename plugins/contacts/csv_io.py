"""CSV import and export: ``name,email,phone,whatsapp,preferred_channel,group,notes``.

The export's header is in the agent's language ("Name", "Nombre", "Imię i nazwisko"…) and
adds two times, when the contact was created and their last message, as ISO 8601 with the
offset of the agent's time zone (``2026-07-01T14:00:00+02:00``), so a spreadsheet sorts
them and nobody has to guess the zone. Import reads a header in any of the server's
languages or the column keys above, and ignores the time columns.

Import uses the API's validation (:mod:`.service`): a bad row is reported — row number,
field, sentence, one entry per problem — and not saved; good rows are. Row numbers are
the file's: the header is row 1, and a chunk of a big file says where it starts
(``first_row``). A chunk is processed as a batch — every row checked first, the owners
of its numbers and emails looked up in a few queries, the new contacts written in one
flush — and committed as one transaction; if a concurrent writer makes the commit fail,
the chunk is rolled back and checked again once. So a row is saved whole or not at all.

Notes: one cell; blank lines separate several notes (export writes them that way).
Groups: by name (any case) or id. A row whose phone, WhatsApp number or email belongs to
an existing contact is reported (``on_duplicate="report"``), skipped, or written onto
that contact (``"update"``: non-empty cells win, notes are added); a number repeated
within the file is reported with the row that had it first. Imported contacts are not
announced one by one (a big file would flood every agent's socket); updated ones are.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

from datetime import datetime

from flask_babel import force_locale, get_babel, pgettext, to_user_timezone
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from host.plugin_api import bus, db, Agent, Chat, Group

from . import chat_links, service
from .models import Contact, ContactIdentity, ContactNote
from .normalize import WHATSAPP_PREFIX, phone_of

COLUMNS = ("name", "email", "phone", "whatsapp", "preferred_channel", "group", "notes")
#: Exported for people to read and sort; import skips them (the database keeps its own).
TIME_COLUMNS = ("created", "last_message")
_NOTE_SPLIT = re.compile(r"\n\s*\n")
EXPORT_BATCH = 500


# --- export ----------------------------------------------------------------------------

def export_rows() -> Iterator[str]:
    """CSV text a batch at a time, oldest contact first (streamed to the client)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(column_headers())
    yield flush()
    groups = dict(db.session.execute(select(Group.id, Group.name)).all())
    last_id = 0
    while True:
        batch = list(db.session.scalars(select(Contact).where(Contact.id > last_id)
                                        .order_by(Contact.id).limit(EXPORT_BATCH)))
        if not batch:
            break
        ids = [c.id for c in batch]
        notes: dict[int, list[str]] = {}
        for contact_id, body in db.session.execute(
                select(ContactNote.contact_id, ContactNote.body)
                .where(ContactNote.contact_id.in_(ids)).order_by(ContactNote.id)):
            notes.setdefault(contact_id, []).append(body)
        last_messages = dict(db.session.execute(
            select(Chat.contact_id, func.max(Chat.last_message_at))
            .where(Chat.contact_id.in_(ids)).group_by(Chat.contact_id)).all())
        for contact in batch:
            phone = contact.identity("phone")
            whatsapp = contact.identity("whatsapp")
            writer.writerow([
                _safe(contact.name), _safe(contact.email or ""), phone.address if phone else "",
                whatsapp.address.removeprefix("whatsapp:") if whatsapp else "",
                contact.preferred_channel or "", _safe(groups.get(contact.group_id, "")),
                _safe("\n\n".join(notes.get(contact.id, []))),
                local_time(contact.created_at), local_time(last_messages.get(contact.id)),
            ])
        last_id = ids[-1]
        db.session.expunge_all()  # keep memory flat over a million contacts
        yield flush()


def _column_labels() -> dict[str, str]:
    """Each column's header in the request's language."""
    return {
        "name": pgettext("CSV column", "Name"), "email": pgettext("CSV column", "Email"),
        "phone": pgettext("CSV column", "Phone"), "whatsapp": pgettext("CSV column", "WhatsApp"),
        "preferred_channel": pgettext("CSV column", "Preferred channel"),
        "group": pgettext("CSV column", "Group"), "notes": pgettext("CSV column", "Notes"),
        "created": pgettext("CSV column", "Created"), "last_message": pgettext("CSV column", "Last message"),
    }


def column_headers() -> list[str]:
    labels = _column_labels()
    return [labels[column] for column in COLUMNS + TIME_COLUMNS]


def _known_headers() -> dict[str, str]:
    """Header cell (as :func:`_normal` leaves it) -> column, for the keys and every language's
    labels: a file exported by a Spanish admin imports for a Polish one."""
    known = {column: column for column in COLUMNS + TIME_COLUMNS}
    locales = get_babel().instance.list_translations()
    for locale in locales:
        with force_locale(str(locale)):
            known.update({_normal(label): column for column, label in _column_labels().items()})
    return known


def _normal(cell: str) -> str:
    return cell.strip().lstrip("\ufeff").lower().replace(" ", "_")


def local_time(moment: datetime | None) -> str:
    """A stored UTC time in the agent's time zone, ISO 8601 with its offset ("" if none)."""
    return to_user_timezone(moment).isoformat(timespec="seconds") if moment is not None else ""


def _safe(value: str) -> str:
    """Stop spreadsheets from running a cell as a formula (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(value) else value


def _unsafe(value: str) -> str:
    """Undo :func:`_safe` so an exported file imports back unchanged."""
    return value[1:] if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@", "\t", "\r") else value


def _is_number(value: str) -> bool:
    return bool(re.fullmatch(r"[+-]?[\d\s().-]+", value))


# --- import ----------------------------------------------------------------------------

class Report:
    def __init__(self):
        self.rows = self.created = self.updated = self.skipped = 0
        self.errors: list[dict] = []

    def error(self, row: int, field: str, message: str, existing_id: int | None = None) -> None:
        self.errors.append({"row": row, "field": field, "message": message, "existing_id": existing_id})

    def as_dict(self) -> dict:
        return {"rows": self.rows, "created": self.created, "updated": self.updated,
                "skipped": self.skipped, "errors": self.errors}


def import_csv(text: str, agent: Agent, region: str, first_row: int = 2,
               on_duplicate: str = "report") -> dict:
    for attempt in range(2):
        try:
            report = _import(text, agent, region, first_row, on_duplicate)
            bus.commit()
            return report.as_dict()
        except IntegrityError:
            db.session.rollback()  # a concurrent writer took an address; check again
            if attempt:
                raise
    raise AssertionError("unreachable")


def _header(record: list[str]) -> tuple[list[str | None], list[str]]:
    known = _known_headers()
    names = [_normal(c) for c in record]
    columns = [known.get(n) for n in names]
    unknown = [cell.strip() for cell, n, column in zip(record, names, columns, strict=True) if n and column is None]
    return [column if column in COLUMNS else None for column in columns], unknown


def _import(text: str, agent: Agent, region: str, first_row: int, on_duplicate: str) -> Report:
    """One chunk: read and check every row, look existing owners up in a few queries, write
    the new contacts in one flush (the search index follows through its triggers)."""
    report = Report()
    rows = _read(text, first_row, report)
    if not rows:
        return report
    groups = {name.lower(): gid for gid, name in db.session.execute(select(Group.id, Group.name))}
    group_ids = set(groups.values())
    cleaned = [c for c in (_clean_row(row, cells, region, groups, group_ids, report) for row, cells in rows) if c]
    owners = _owners(cleaned)
    earlier: dict[tuple, int] = {}   # person key -> row of this file that has it
    created: list[tuple[Contact, list[tuple[str, str]]]] = []
    for row, values, notes in cleaned:
        keys = _keys(values)
        repeated = next((k for k in keys if k in earlier), None)
        if repeated is not None:
            field = _field_of(values, repeated)
            report.error(row, field, f"This {FIELD_WORDS[field]} is already on row {earlier[repeated]} "
                                     "of this file.")
            continue
        existing = list({c.id: c for c in (owners.get(k) for k in keys) if c is not None}.values())
        if len(existing) > 1:
            a, b = existing[:2]
            report.error(row, "phone", f"This row matches two different contacts, {service.label(a)} (#{a.id}) "
                                       f"and {service.label(b)} (#{b.id}); merge them first.", a.id)
            continue
        if existing and on_duplicate == "skip":
            report.skipped += 1
            continue
        if existing and on_duplicate == "update":
            _update(row, existing[0], values, notes, agent, region, report)
            continue
        if existing:
            other = existing[0]
            field = _field_of(values, next(k for k in keys if owners.get(k) is other))
            report.error(row, field, f"This {FIELD_WORDS[field]} already belongs to {service.label(other)} "
                                     f"(contact #{other.id}).", other.id)
            continue
        contact = Contact(name="")
        added = service.apply(contact, values)
        db.session.add(contact)
        for body in notes:
            db.session.add(ContactNote(contact=contact, author_id=agent.id, body=body))
        created.append((contact, added))
        for key in keys:
            earlier[key] = row
        report.created += 1
    db.session.flush()
    _adopt_chats(created)
    return report


FIELD_WORDS = {"phone": "phone number", "whatsapp": "WhatsApp number", "email": "email address"}


def _read(text: str, first_row: int, report: Report) -> list[tuple[int, dict]]:
    """The records of the chunk as (file row number, {column: cell}); problems reported."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        report.error(1, "file", f"The header line can't be read as CSV: {exc}.")
        return []
    if not header or not any(h.strip() for h in header):
        report.error(1, "file", "The file is empty; the first line must be the header "
                                f"{','.join(COLUMNS)}.")
        return []
    columns, unknown = _header(header)
    if not any(columns):
        report.error(1, "file", f"The first line must be the header {','.join(COLUMNS)} "
                                f"(in any order); it was “{','.join(header)[:120]}”.")
        return []
    if unknown:
        report.error(1, "file", f"Unknown column{'s' if len(unknown) > 1 else ''} "
                                f"{', '.join(unknown)} ignored; the columns are {', '.join(COLUMNS)}.")
    rows = []
    row = first_row - 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            row += 1
            report.rows += 1
            report.error(row, "file", f"This row can't be read as CSV ({exc}); check its quotes. "
                                      "The rest of the file was not read.")
            break
        row += 1
        if not any(cell.strip() for cell in record):
            continue
        report.rows += 1
        if len(record) > len(columns):
            report.error(row, "file", f"This row has {len(record)} cells but the header has {len(columns)}.")
            continue
        rows.append((row, {name: _unsafe(record[i].strip()) if i < len(record) else ""
                           for i, name in enumerate(columns) if name}))
    return rows


def _group(value: str, groups: dict, group_ids: set) -> int | None:
    if value.isdigit() and int(value) in group_ids:
        return int(value)
    return groups.get(value.lower())


def _clean_row(row: int, cells: dict, region: str, groups: dict, group_ids: set,
               report: Report) -> tuple[int, dict, list[str]] | None:
    """Normalised values of one row, or None after reporting every problem in it."""
    data = {k: cells[k] for k in ("name", "email", "phone", "whatsapp", "preferred_channel") if k in cells}
    notes = [n.strip() for n in _NOTE_SPLIT.split(cells.get("notes", "")) if n.strip()]
    problems = []
    group_id = None
    if cells.get("group"):
        group_id = _group(cells["group"], groups, group_ids)
        if group_id is None:
            problems.append(("group", f"There is no group called “{cells['group']}”."))
    if any(len(n) > 5000 for n in notes):
        problems.append(("notes", "A note can be at most 5,000 characters."))
    try:
        values = service.clean(data, region)
        if group_id is not None:
            values["group_id"] = group_id
        service.check_new(values)
    except service.InvalidContact as exc:
        problems.extend((field, messages[0]) for field, messages in exc.errors.items())
    if problems:
        for field, message in problems:
            report.error(row, field, message)
        return None
    return row, values, notes


def _keys(values: dict) -> list[tuple]:
    """What makes a row the same person as a contact: its numbers (SMS = WhatsApp) and email."""
    keys = []
    for field in ("phone", "whatsapp"):
        if values.get(field):
            keys.append(("number", phone_of(field, values[field])))
    if values.get("email"):
        keys.append(("email", values["email"]))
    return keys


def _field_of(values: dict, key: tuple) -> str:
    if key[0] == "email":
        return "email"
    return next(f for f in ("phone", "whatsapp") if values.get(f) and phone_of(f, values[f]) == key[1])


def _owners(cleaned) -> dict[tuple, Contact]:
    """Existing contacts owning the chunk's numbers and emails, in a few queries per chunk.

    Numbers go through the identities' unique (kind, address) index; profile emails have
    no index of their own, so that lookup reads the contacts table once per chunk.
    """
    numbers = {k[1] for _, values, _ in cleaned for k in _keys(values) if k[0] == "number"}
    emails = sorted({values["email"] for _, values, _ in cleaned if values.get("email")})
    owners: dict[tuple, Contact] = {}
    for kind, prefix in (("phone", ""), ("whatsapp", WHATSAPP_PREFIX)):
        addresses = sorted(prefix + n for n in numbers)
        for start in range(0, len(addresses), 500):
            for identity in db.session.scalars(select(ContactIdentity).where(
                    ContactIdentity.kind == kind, ContactIdentity.address.in_(addresses[start:start + 500]))):
                owners.setdefault(("number", phone_of(kind, identity.address)), identity.contact)
    for start in range(0, len(emails), 500):
        part = emails[start:start + 500]
        for contact in db.session.scalars(select(Contact).where(Contact.email.in_(part))):
            owners.setdefault(("email", contact.email), contact)
        for identity in db.session.scalars(select(ContactIdentity).where(
                ContactIdentity.kind == "email", ContactIdentity.address.in_(part))):
            owners.setdefault(("email", identity.address), identity.contact)
    return owners


def _update(row: int, contact: Contact, values: dict, notes: list[str], agent: Agent, region: str,
            report: Report) -> None:
    given = {k: v for k, v in values.items() if v not in ("", None)}
    try:
        service.update_contact(contact, given, agent, region, announce_it=False)
    except service.InvalidContact as exc:
        for field, messages in exc.errors.items():
            report.error(row, field, messages[0])
        return
    except service.DuplicateContact as exc:
        report.error(row, exc.field, exc.message, exc.existing.id)
        return
    for body in notes:
        db.session.add(ContactNote(contact=contact, author_id=agent.id, body=body))
    db.session.flush()
    service.announce(contact, agent)
    report.updated += 1


def _adopt_chats(created) -> None:
    """Chats from these numbers that have no contact yet join the new contacts."""
    by_address: dict[str, int] = {}
    for contact, added in created:
        for kind, address in added:
            for form in chat_links.chat_addresses(kind, address):
                by_address.setdefault(form, contact.id)
    addresses = sorted(by_address)
    for start in range(0, len(addresses), 500):
        part = addresses[start:start + 500]
        for chat_id, address in db.session.execute(select(Chat.id, Chat.customer_address).where(
                Chat.contact_id.is_(None), Chat.customer_address.in_(part))).all():
            chat_links.link(chat_id, by_address[address])


def count_contacts() -> int:
    return db.session.scalar(select(func.count()).select_from(Contact))
