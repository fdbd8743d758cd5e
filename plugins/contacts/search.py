"""Search-as-you-type over contacts, on the database's own text index.

Search text
-----------
Each contact stores ``search_text``: space-separated tokens computed in Python (so
SQLite and PostgreSQL see exactly the same words) from its name, profile email and
identities. Text is folded first (NFKD, accents dropped, casefolded, apostrophes
removed). Two namespaces of tokens:

* **start tokens**, marked with ``^``, hold a whole field: the name with its words joined
  by ``_`` (``^maria_garcia``), each email (``^maria@example.com``), each phone as E.164
  digits and as national digits (``^14155552671``, ``^4155552671``, ``^02079460958``)
  and the LiveChat id. An exact token is an exact match; a prefix of one is "the field
  starts with what you typed", with the marker keeping it apart from word matches.
* **word tokens**: each name word, each email domain, and every suffix (3 digits or
  more) of each E.164 number, so a digit *substring* becomes an indexable *prefix*
  query on some suffix: "555 12" finds +14155551234 through the suffix ``5551234``.

Ranking
-------
Results come in three tiers, then newest contact first inside a tier:

0. exact: a whole name, email or number equals the query;
1. prefix: the name, an email or a number starts with the query;
2. words: every query word starts a name word or domain, or the digits occur anywhere
   in a number.

Each tier is one index query ordered by ``id DESC`` with ``LIMIT``, excluding earlier
tiers, so a query never sorts all its matches: typing "j" over a million contacts
reads 25 index entries, not 100,000 rows.

Indexes
-------
SQLite: an external-content FTS5 table (``detail=none``: single-token terms need no
positions) with prefix indexes, kept in step with ``contacts.search_text`` by triggers.
PostgreSQL: a GIN index on ``array_to_tsvector(string_to_array(search_text, ' '))``;
``array_to_tsvector`` takes the tokens verbatim (no parser that would split emails),
and ``'tok':*`` tsquery prefixes use the GIN partial match. pg_trgm was not chosen: it
cannot index queries shorter than three characters and cannot express "word starts
with", which the tiers need.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import phonenumbers
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from plugins.contacts.models import Contact
from plugins.contacts.normalize import phone_of

START = "^"
MIN_DIGIT_SUBSTRING = 3   # shorter digit runs match the start of numbers only
MAX_QUERY = 200
FTS_TABLE = "contacts_fts"
PG_TSVECTOR = "array_to_tsvector(string_to_array(search_text, ' '))"

_NAME_WORD = re.compile(r"[^\W_]+")
_TOKEN_JUNK = re.compile(r"[^\w@.+\-]|_")  # what an email/id token may not contain
_PHONEISH = re.compile(r"\+?[\d\s\-.()/]*\d[\d\s\-.()/]*")


# --- folding and tokens ------------------------------------------------------------------

def fold(value: str | None) -> str:
    """Lowercase, accent-free text: "José O'Brien" -> "jose obrien"."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.casefold().replace("'", "").replace("\u2019", "")


def fold_name(name: str | None) -> str:
    """The name as sorted in browse: folded words separated by single spaces."""
    return " ".join(_NAME_WORD.findall(fold(name)))


def _address_token(value: str) -> str:
    # Keep the characters of emails and ids; "_" is the name-word joiner, so drop it too.
    return _TOKEN_JUNK.sub("", fold(value))


def _phone_tokens(number: str) -> tuple[list[str], list[str]]:
    digits = number.lstrip("+")
    starts = [digits]
    try:
        parsed = phonenumbers.parse(number, None)
        national = re.sub(r"\D", "", phonenumbers.format_number(
            parsed, phonenumbers.PhoneNumberFormat.NATIONAL))
        if national and national != digits:
            starts.append(national)
        significant = phonenumbers.national_significant_number(parsed)
        if significant and significant not in starts:
            starts.append(significant)
    except phonenumbers.NumberParseException:
        pass
    suffixes = [digits[i:] for i in range(len(digits) - MIN_DIGIT_SUBSTRING + 1)]
    return starts, suffixes


def search_text_for(name: str | None, email: str | None,
                    identities: Iterable[tuple[str, str]]) -> str:
    """The indexed text of a contact (see the module docstring for the design)."""
    starts: list[str] = []
    words: list[str] = []
    name_words = _NAME_WORD.findall(fold(name))
    if name_words:
        starts.append("_".join(name_words))
        words.extend(name_words)
    emails = [email] if email else []
    for kind, address in identities:
        number = phone_of(kind, address)
        if number:
            phone_starts, suffixes = _phone_tokens(number)
            starts.extend(phone_starts)
            words.extend(suffixes)
        elif kind == "email":
            emails.append(address)
        elif address:
            starts.append(_address_token(address))
    for value in emails:
        token = _address_token(value)
        if token:
            starts.append(token)
            domain = token.partition("@")[2]
            if domain:
                words.append(domain)
    tokens = dict.fromkeys([START + s for s in starts if s] + [w for w in words if w])
    return " ".join(tokens)


@dataclass(frozen=True)
class ParsedQuery:
    starts: tuple[str, ...]   # start tokens (with marker): exact or prefix matches
    words: tuple[str, ...]    # word-token prefixes that must all match

    @property
    def empty(self) -> bool:
        return not self.starts and not self.words


def parse_query(q: str | None) -> ParsedQuery:
    """Turn what the agent typed into index terms, the same way contacts are indexed."""
    raw = (q or "").strip()[:MAX_QUERY]
    if _PHONEISH.fullmatch(raw):
        digits = re.sub(r"\D", "", raw)
        words = (digits,) if len(digits) >= MIN_DIGIT_SUBSTRING else ()
        return ParsedQuery((START + digits,), words)
    folded = fold(raw)
    starts: list[str] = []
    name_words = _NAME_WORD.findall(folded)
    if name_words:
        starts.append(START + "_".join(name_words))
    if raw and not any(c.isspace() for c in raw):
        token = _address_token(raw)
        if token and START + token not in starts:
            starts.append(START + token)   # an email or id being typed
    words: list[str] = []
    for part in folded.split():
        token = _address_token(part).strip("@.+-")
        if "." in token or "@" in token:
            words.append(token.rpartition("@")[2])   # a domain being typed
        else:
            words.extend(_NAME_WORD.findall(part))
    return ParsedQuery(tuple(starts), tuple(dict.fromkeys(w for w in words if w)))


# --- per-dialect query expressions -------------------------------------------------------

def _fts_term(token: str, prefix: bool) -> str:
    return '"' + token.replace('"', '""') + '"' + ("*" if prefix else "")


def _ts_term(token: str, prefix: bool) -> str:
    quoted = token.replace("\\", "\\\\").replace("'", "''")
    return f"'{quoted}'" + (":*" if prefix else "")


_SYNTAX = {"sqlite": (_fts_term, " OR ", " AND ", " NOT "),
           "postgresql": (_ts_term, " | ", " & ", " & !")}


def tier_expressions(parsed: ParsedQuery, dialect: str) -> tuple[list[str], str]:
    """Match expressions for each tier, plus one matching the union (for counts)."""
    term, any_of, all_of, but_not = _SYNTAX[dialect]
    exact = any_of.join(term(s, False) for s in parsed.starts)
    prefix = any_of.join(term(s, True) for s in parsed.starts)
    words = all_of.join(term(w, True) for w in parsed.words)
    tiers = []
    if exact:
        tiers += [f"({exact})", f"({prefix}){but_not}({exact})"]
    if words:
        tiers.append(f"({words}){but_not}({prefix})" if prefix else f"({words})")
    union = any_of.join(f"({e})" for e in (prefix, words) if e)
    return tiers, union


def _dialect(session: Session) -> str:
    name = session.get_bind().dialect.name
    if name not in _SYNTAX:
        raise NotImplementedError(f"contact search supports SQLite and PostgreSQL, not {name}")
    return name


def _match_sql(dialect: str, what: str) -> str:
    if dialect == "sqlite":
        return f"SELECT {what} FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :q"
    return f"SELECT {what} FROM contacts WHERE {PG_TSVECTOR} @@ CAST(:q AS tsquery)"


def _match_ids(session: Session, dialect: str, expr: str, limit: int, offset: int) -> list[int]:
    key = "rowid" if dialect == "sqlite" else "id"
    sql = _match_sql(dialect, key) + f" ORDER BY {key} DESC LIMIT :n OFFSET :o"
    return list(session.execute(text(sql), {"q": expr, "n": limit, "o": offset}).scalars())


def _match_count(session: Session, dialect: str, expr: str) -> int:
    return session.execute(text(_match_sql(dialect, "count(*)")), {"q": expr}).scalar_one()


# --- paging over tiers -------------------------------------------------------------------

Fetch = Callable[[int, int], list[int]]   # (limit, offset) -> ids


def page_through_tiers(tiers: Sequence[tuple[Fetch, Callable[[], int]]],
                       limit: int, offset: int) -> list[int]:
    """Rows ``offset .. offset+limit`` of the concatenated tiers.

    A tier's size is known without counting whenever it runs out inside the page; it is
    counted only when a deep page starts beyond it.
    """
    ids: list[int] = []
    before = 0   # rows in the tiers already passed
    for fetch, count in tiers:
        need = limit - len(ids)
        if need <= 0:
            break
        local_offset = max(0, offset - before)
        rows = fetch(need, local_offset)
        ids.extend(rows)
        if len(rows) == need:
            break
        before += local_offset + len(rows) if rows or not local_offset else count()
    return ids


def _load(session: Session, ids: list[int]) -> list[Contact]:
    if not ids:
        return []
    found = {c.id: c for c in session.scalars(select(Contact).where(Contact.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


# --- public API --------------------------------------------------------------------------

def search_contacts(session: Session, q: str | None, limit: int = 25,
                    offset: int = 0) -> list[Contact]:
    """Contacts matching ``q`` by name, phone digits (any format) or email, best first."""
    parsed = parse_query(q)
    if parsed.empty or limit <= 0:
        return []
    dialect = _dialect(session)
    tiers, _ = tier_expressions(parsed, dialect)
    fetchers = [(lambda n, o, e=e: _match_ids(session, dialect, e, n, o),
                 lambda e=e: _match_count(session, dialect, e)) for e in tiers]
    return _load(session, page_through_tiers(fetchers, limit, max(0, offset)))


def count(session: Session, q: str | None = None) -> int:
    """How many contacts ``search_contacts`` can return for ``q`` (all contacts if empty)."""
    if not (q or "").strip():
        return session.scalar(select(func.count()).select_from(Contact))
    parsed = parse_query(q)
    if parsed.empty:
        return 0
    dialect = _dialect(session)
    return _match_count(session, dialect, tier_expressions(parsed, dialect)[1])


@dataclass(frozen=True)
class BrowsePage:
    items: list[Contact]
    page: int
    per_page: int
    has_next: bool


def browse(session: Session, sort: str = "name", page: int = 1,
           per_page: int = 50) -> BrowsePage:
    """All contacts, a page at a time: by name (unnamed last) or most recently updated."""
    if sort not in ("name", "recent"):
        raise ValueError(f"sort must be 'name' or 'recent', not {sort!r}")
    page, per_page = max(1, page), max(1, min(per_page, 500))
    offset = (page - 1) * per_page

    def ids(stmt):
        return lambda n, o: list(session.scalars(stmt.limit(n).offset(o)))

    base = select(Contact.id)
    if sort == "recent":
        tiers = [(ids(base.order_by(Contact.updated_at.desc(), Contact.id.desc())), None)]
    else:
        named = base.where(Contact.sort_name != "")
        unnamed = base.where(Contact.sort_name == "")
        tiers = [(ids(named.order_by(Contact.sort_name, Contact.id)),
                  lambda: session.scalar(select(func.count()).select_from(named.subquery()))),
                 (ids(unnamed.order_by(Contact.id.desc())), None)]
    found = page_through_tiers(tiers, per_page + 1, offset)
    return BrowsePage(_load(session, found[:per_page]), page, per_page, len(found) > per_page)


# --- DDL for migrations and tests --------------------------------------------------------

def search_ddl(dialect: str) -> list[str]:
    """Statements creating the search index for ``dialect``; a migration ``op.execute``s them.

    Idempotent (``IF NOT EXISTS``). On SQLite, follow with :func:`rebuild_ddl` when the
    contacts table already has rows.
    """
    if dialect == "sqlite":
        sync_insert = (f"INSERT INTO {FTS_TABLE}(rowid, search_text) "
                       "VALUES (new.id, new.search_text);")
        sync_delete = (f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) "
                       "VALUES ('delete', old.id, old.search_text);")
        return [
            # Prefix indexes up to 4 characters (the "^" marker counts) keep short
            # search-as-you-type prefixes from merging thousands of terms per keystroke.
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
            "search_text, content='contacts', content_rowid='id', detail=none, "
            "columnsize=0, prefix='1 2 3 4', "
            "tokenize=\"unicode61 remove_diacritics 0 tokenchars '^@._+-'\")",
            f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ai AFTER INSERT ON contacts "
            f"BEGIN {sync_insert} END",
            f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ad AFTER DELETE ON contacts "
            f"BEGIN {sync_delete} END",
            f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_au AFTER UPDATE OF search_text ON contacts "
            f"WHEN old.search_text IS NOT new.search_text BEGIN {sync_delete} {sync_insert} END",
        ]
    if dialect == "postgresql":
        # fastupdate off: contacts change rarely, and a pending list would make every
        # search also scan unindexed recent entries.
        return [f"CREATE INDEX IF NOT EXISTS ix_contacts_search_text ON contacts "
                f"USING gin (({PG_TSVECTOR})) WITH (fastupdate = off)"]
    raise NotImplementedError(f"contact search supports SQLite and PostgreSQL, not {dialect}")


def drop_search_ddl(dialect: str) -> list[str]:
    """Statements undoing :func:`search_ddl` (a migration's downgrade)."""
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{t}" for t in ("ai", "ad", "au")] + \
               [f"DROP TABLE IF EXISTS {FTS_TABLE}"]
    if dialect == "postgresql":
        return ["DROP INDEX IF EXISTS ix_contacts_search_text"]
    raise NotImplementedError(dialect)


def rebuild_ddl(dialect: str) -> list[str]:
    """Statements re-indexing every existing contact (after a bulk load or an upgrade)."""
    if dialect == "sqlite":
        return [f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
                f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')"]
    return ["ANALYZE contacts"]   # a GIN index is built complete; fresh stats guide plans


def ensure_search_index(bind: Engine | Connection, rebuild: bool = False) -> None:
    """Create the search index (idempotent); ``rebuild`` re-indexes existing rows."""
    def run(conn: Connection) -> None:
        dialect = conn.dialect.name
        for sql in search_ddl(dialect) + (rebuild_ddl(dialect) if rebuild else []):
            conn.exec_driver_sql(sql)

    if isinstance(bind, Engine):
        with bind.begin() as conn:
            run(conn)
    else:
        run(bind)


def refresh_search_text(session: Session, contacts: Iterable[Contact]) -> None:
    """Recompute search text by hand, e.g. after identities changed through raw SQL."""
    for contact in contacts:
        contact.search_text = search_text_for(
            contact.name, contact.email, [(i.kind, i.address) for i in contact.identities])
