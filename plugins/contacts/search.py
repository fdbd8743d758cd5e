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

Each tier is one index read ordered by ``id DESC`` with ``LIMIT`` (tiers overlap; a
contact keeps its best tier), all in one statement, so a query never sorts all of its
matches: typing "j" over a million contacts reads a few dozen index entries, not
100,000 rows.

Indexes
-------
SQLite: an external-content FTS5 table (``detail=none``: single-token terms need no
positions) with prefix indexes, kept in step with ``contacts.search_text`` by triggers.
FTS5 returns matches in rowid order and stops at the LIMIT.

PostgreSQL: a stored generated ``search_vector = array_to_tsvector(string_to_array(
search_text, ' '))`` with a GIN index. ``array_to_tsvector`` takes the tokens verbatim
(no text-search parser splitting emails), and ``'tok':*`` prefixes use GIN's partial
match. GIN cannot return rows in id order, so per tier the planner picks either a
bitmap scan (rare terms) or a backward primary-key walk filtered on the vector (common
terms); the raised statistics target keeps its estimates honest. pg_trgm was not
chosen: it cannot index queries shorter than three characters and cannot express
"a word starts with", which the tiers need.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

import phonenumbers
from sqlalchemy import func, literal, select, text, union_all
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from plugins.contacts.models import Contact
from plugins.contacts.normalize import phone_of

START = "^"
MIN_DIGIT_SUBSTRING = 3   # shorter digit runs match the start of numbers only
MAX_QUERY = 200
FTS_TABLE = "contacts_fts"
PG_VECTOR = "search_vector"   # generated column, PostgreSQL only (see search_ddl)

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


_SYNTAX = {"sqlite": (_fts_term, " OR ", " AND "), "postgresql": (_ts_term, " | ", " & ")}


def tier_expressions(parsed: ParsedQuery, dialect: str) -> tuple[list[str], str]:
    """Match expressions for each tier, plus one matching the union (for counts).

    Tiers overlap (an exact match is also a prefix match); a contact ranks in the first
    tier it matches. Expressions deliberately carry no NOT: PostgreSQL cannot estimate
    "a AND NOT b" and would then scan the whole table in id order looking for rows that
    are not there.
    """
    term, any_of, all_of = _SYNTAX[dialect]
    exact = any_of.join(term(s, False) for s in parsed.starts)
    prefix = any_of.join(term(s, True) for s in parsed.starts)
    words = all_of.join(term(w, True) for w in parsed.words)
    tiers = [e for e in (exact, prefix, words) if e]
    return tiers, any_of.join(f"({e})" for e in (prefix, words) if e)


def _dialect(session: Session) -> str:
    name = session.get_bind().dialect.name
    if name not in _SYNTAX:
        raise NotImplementedError(f"contact search supports SQLite and PostgreSQL, not {name}")
    return name


def _match_sql(dialect: str, what: str, param: str = "q") -> str:
    if dialect == "sqlite":
        return f"SELECT {what} FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :{param}"
    return f"SELECT {what} FROM contacts WHERE {PG_VECTOR} @@ CAST(:{param} AS tsquery)"


def ranked_sql(dialect: str, tiers: int) -> str:
    """One statement returning the contacts of all tiers in rank order.

    Each tier reads at most ``:n`` (offset + limit) ids, later tiers ``2 * :n`` because up
    to ``:n - 1`` of theirs may belong to earlier tiers, straight from the index in
    ``id DESC`` order; only those rows are grouped (a contact keeps its best tier),
    joined and sorted, so the cost does not grow with the number of matches.
    """
    key = "rowid" if dialect == "sqlite" else "id"
    arms = " UNION ALL ".join(
        f"SELECT * FROM ({_match_sql(dialect, f'{i} AS tier, {key} AS id', f'q{i}')} "
        f"ORDER BY {key} DESC LIMIT {':n' if i == 0 else '2 * :n'}) AS arm{i}"
        for i in range(tiers))
    columns = ", ".join(f"contacts.{c.name}" for c in Contact.__table__.columns)
    return (f"WITH hits AS ({arms}), ranked AS (SELECT id, min(tier) AS tier FROM hits "
            f"GROUP BY id) SELECT {columns} FROM ranked JOIN contacts ON contacts.id = ranked.id "
            "ORDER BY ranked.tier, ranked.id DESC LIMIT :limit OFFSET :offset")


# --- public API --------------------------------------------------------------------------

def search_contacts(session: Session, q: str | None, limit: int = 25,
                    offset: int = 0) -> list[Contact]:
    """Contacts matching ``q`` by name, phone digits (any format) or email, best first."""
    parsed = parse_query(q)
    if parsed.empty or limit <= 0:
        return []
    dialect = _dialect(session)
    tiers, _ = tier_expressions(parsed, dialect)
    offset = max(0, offset)
    params = {f"q{i}": expr for i, expr in enumerate(tiers)}
    params.update(n=offset + limit, limit=limit, offset=offset)
    stmt = select(Contact).from_statement(text(ranked_sql(dialect, len(tiers))))
    return list(session.scalars(stmt, params))


def count(session: Session, q: str | None = None) -> int:
    """How many contacts ``search_contacts`` can return for ``q`` (all contacts if empty)."""
    if not (q or "").strip():
        return session.scalar(select(func.count()).select_from(Contact))
    parsed = parse_query(q)
    if parsed.empty:
        return 0
    dialect = _dialect(session)
    union = tier_expressions(parsed, dialect)[1]
    return session.execute(text(_match_sql(dialect, "count(*)")), {"q": union}).scalar_one()


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
    if sort == "recent":
        stmt = select(Contact).order_by(Contact.updated_at.desc(), Contact.id.desc())
    else:
        # Two index range scans (named by sort_name, then unnamed), each cut at the page
        # end, instead of one ORDER BY on an expression no index can serve.
        def arm(tier: int, where):
            return (select(literal(tier).label("tier"), Contact.id, Contact.sort_name)
                    .where(where).order_by(Contact.sort_name, Contact.id)
                    .limit(offset + per_page + 1).subquery())
        named, unnamed = arm(0, Contact.sort_name > ""), arm(1, Contact.sort_name == "")
        ranked = union_all(select(named), select(unnamed)).subquery()
        stmt = (select(Contact).join(ranked, ranked.c.id == Contact.id)
                .order_by(ranked.c.tier, ranked.c.sort_name, ranked.c.id))
    found = list(session.scalars(stmt.limit(per_page + 1).offset(offset)))
    return BrowsePage(found[:per_page], page, per_page, len(found) > per_page)


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
        return [
            # Stored, not an expression index: when the planner walks the primary key
            # backwards for a common prefix, each row costs a tsvector read instead of
            # splitting and sorting the text again (about 10x cheaper per row).
            f"ALTER TABLE contacts ADD COLUMN IF NOT EXISTS {PG_VECTOR} tsvector "
            "GENERATED ALWAYS AS (array_to_tsvector(string_to_array(search_text, ' '))) STORED",
            # Per-token statistics are what let the planner choose between that walk and a
            # bitmap scan; the default 100 sees too few of a million contacts' tokens.
            f"ALTER TABLE contacts ALTER COLUMN {PG_VECTOR} SET STATISTICS 1000",
            # fastupdate off: contacts change rarely, and a pending list would make every
            # search also scan unindexed recent entries.
            f"CREATE INDEX IF NOT EXISTS ix_contacts_search_vector ON contacts "
            f"USING gin ({PG_VECTOR}) WITH (fastupdate = off)",
        ]
    raise NotImplementedError(f"contact search supports SQLite and PostgreSQL, not {dialect}")


def drop_search_ddl(dialect: str) -> list[str]:
    """Statements undoing :func:`search_ddl` (a migration's downgrade)."""
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{t}" for t in ("ai", "ad", "au")] + \
               [f"DROP TABLE IF EXISTS {FTS_TABLE}"]
    if dialect == "postgresql":
        return ["DROP INDEX IF EXISTS ix_contacts_search_vector",
                f"ALTER TABLE contacts DROP COLUMN IF EXISTS {PG_VECTOR}"]
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


def refresh_search_text(contacts: Iterable[Contact]) -> None:
    """Recompute derived search fields by hand, e.g. after identities changed in raw SQL.

    ORM changes need no call: a flush hook in the models does this for them.
    """
    for contact in contacts:
        contact.search_text = search_text_for(
            contact.name, contact.email, [(i.kind, i.address) for i in contact.identities])
        contact.sort_name = fold_name(contact.name)[:200]
