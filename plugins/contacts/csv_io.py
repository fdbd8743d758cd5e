"""CSV import and export: ``name,email,phone,whatsapp,preferred_channel,group,notes``.

Import goes through the same validation as the API (:mod:`.service`), row by row:
a bad row is reported — row number, field, sentence — and skipped; good rows are
saved. Row numbers are the file's: the header is row 1, so a chunk of a big file says
where it starts (``first_row``). Each row is all or nothing: it is checked completely
before anything of it is written. A chunk is one transaction; if a concurrent writer
makes it fail at commit, it is rolled back and checked again once.

Notes: one cell; blank lines separate several notes (export writes them that way).
Groups: by name (any case) or id. Duplicates — a row whose phone, WhatsApp number or
email belongs to an existing contact — are reported (``on_duplicate="report"``),
skipped, or written onto that contact (``"update"``: non-empty cells win).
"""
from __future__ import annotations

import csv
import io
import re
from typing import Iterator

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from host import emit as bus
from host.extensions import db
from host.models import Agent, Group

from . import service
from .models import Contact, ContactNote, find_identity

COLUMNS = ("name", "email", "phone", "whatsapp", "preferred_channel", "group", "notes")
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

    writer.writerow(COLUMNS)
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
        for contact in batch:
            phone = contact.identity("phone")
            whatsapp = contact.identity("whatsapp")
            writer.writerow([
                _safe(contact.name), _safe(contact.email or ""), phone.address if phone else "",
                whatsapp.address.removeprefix("whatsapp:") if whatsapp else "",
                contact.preferred_channel or "", _safe(groups.get(contact.group_id, "")),
                _safe("\n\n".join(notes.get(contact.id, []))),
            ])
        last_id = ids[-1]
        db.session.expunge_all()  # keep memory flat over a million contacts
        yield flush()


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
    names = [c.strip().lower().lstrip("\ufeff").replace(" ", "_") for c in record]
    unknown = [n for n in names if n and n not in COLUMNS]
    return [n if n in COLUMNS else None for n in names], unknown


def _import(text: str, agent: Agent, region: str, first_row: int, on_duplicate: str) -> Report:
    report = Report()
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        report.error(1, "file", f"The header line can't be read as CSV: {exc}.")
        return report
    if not header or not any(h.strip() for h in header):
        report.error(1, "file", "The file is empty; the first line must be the header "
                                f"{','.join(COLUMNS)}.")
        return report
    columns, unknown = _header(header)
    if not any(columns):
        report.error(1, "file", f"The first line must be the header {','.join(COLUMNS)} "
                                f"(in any order); it was “{','.join(header)[:120]}”.")
        return report
    if unknown:
        report.error(1, "file", f"Unknown column{'s' if len(unknown) > 1 else ''} "
                                f"{', '.join(unknown)} ignored; the columns are {', '.join(COLUMNS)}.")
    groups = {name.lower(): gid for gid, name in db.session.execute(select(Group.id, Group.name))}
    group_ids = set(groups.values())
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
        cells = {name: _unsafe(record[i].strip()) if i < len(record) else ""
                 for i, name in enumerate(columns) if name}
        if len(record) > len(columns):
            report.error(row, "file", f"This row has {len(record)} cells but the header has {len(columns)}.")
            continue
        _import_row(row, cells, agent, region, on_duplicate, groups, group_ids, report)
    return report


def _group(value: str, groups: dict, group_ids: set) -> int | None:
    if value.isdigit() and int(value) in group_ids:
        return int(value)
    return groups.get(value.lower())


def _import_row(row: int, cells: dict, agent: Agent, region: str, on_duplicate: str,
                groups: dict, group_ids: set, report: Report) -> None:
    data = {k: cells[k] for k in ("name", "email", "phone", "whatsapp", "preferred_channel") if k in cells}
    notes = [n.strip() for n in _NOTE_SPLIT.split(cells.get("notes", "")) if n.strip()]
    problems = []
    if cells.get("group"):
        group_id = _group(cells["group"], groups, group_ids)
        if group_id is None:
            problems.append(("group", f"There is no group called “{cells['group']}”."))
        else:
            data["group_id"] = group_id
    if any(len(n) > 5000 for n in notes):
        problems.append(("notes", "A note can be at most 5,000 characters."))
    try:
        values = service.clean(data, region)
    except service.InvalidContact as exc:
        problems.extend((field, messages[0]) for field, messages in exc.errors.items())
        values = None
    if problems:
        for field, message in problems:
            report.error(row, field, message)
        return
    existing = _existing(values)
    if len(existing) > 1:
        a, b = existing[:2]
        report.error(row, "phone", f"This row matches two different contacts, {service.label(a)} (#{a.id}) "
                                   f"and {service.label(b)} (#{b.id}); merge them first.", a.id)
        return
    if existing and on_duplicate == "skip":
        report.skipped += 1
        return
    try:
        if existing and on_duplicate == "update":
            contact = existing[0]
            given = {k: v for k, v in data.items() if v not in ("", None)}
            service.update_contact(contact, given, agent, region,
                                   announce_it=False)
            for body in notes:
                db.session.add(ContactNote(contact=contact, author_id=agent.id, body=body))
            db.session.flush()
            service.announce(contact, agent)
            report.updated += 1
            return
        prepared = service.prepare_create(data, region)
    except service.InvalidContact as exc:
        for field, messages in exc.errors.items():
            report.error(row, field, messages[0])
        return
    except service.DuplicateContact as exc:
        report.error(row, exc.field, exc.message, exc.existing.id)
        return
    contact = service.create(prepared, agent, announce_it=False)
    for body in notes:
        db.session.add(ContactNote(contact=contact, author_id=agent.id, body=body))
    report.created += 1


def _existing(values: dict) -> list[Contact]:
    found: dict[int, Contact] = {}
    for field in ("phone", "whatsapp"):
        if values.get(field):
            identity = find_identity(db.session, field, values[field])
            if identity is not None:
                found.setdefault(identity.contact_id, identity.contact)
    if values.get("email"):
        for contact in service.contacts_with_email(values["email"]):
            found.setdefault(contact.id, contact)
    return list(found.values())


def count_contacts() -> int:
    return db.session.scalar(select(func.count()).select_from(Contact))
