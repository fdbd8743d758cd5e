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
matches: typing "j" over a million contacts reads a few dozen entries, not 100,000 rows.

Indexes
-------
SQLite: an external-content FTS5 table (``detail=none``: single-token terms need no
positions) kept in step with ``contacts.search_text`` by triggers. FTS5 streams matches
in rowid order and stops at the LIMIT, but streams a prefix only through a prefix index
of exactly its length (others merge every matching term first: 100+ ms for "james" at a
million), so lengths 1-8 are indexed; a longer prefix reads its first 8 characters over
the newest 1,000 candidates, re-checking ``search_text``, and asks the full prefix only
when those hold too few matches (then it is rare and its merge small).

PostgreSQL, measured at a million contacts with stock settings: GIN cannot return rows
in id order, and each match it returns costs a heap fetch (~1 us cached, ~7 us not:
the tables outgrow the default shared_buffers), so "newest 25 of 3,000 matches" costs
20 ms by bitmap scan. Two tables and a gate share the work:

* ``contact_search_starts(token, contact_id)``: every start token, with a btree on
  ``(token text_pattern_ops, contact_id)``. The exact tier reads one key range already in
  id order; the prefix tier reads the range of keys under the prefix from the index alone
  (~0.1 us an entry, no heap) and sorts the ids. A prefix matching a quarter of all
  contacts ("j") would still read 250,000 entries, so the prefix tier first walks the
  newest rows (2,000; 5,000-10,000 for prefixes of 1-3 characters, which are common)
  and stops there when they hold enough matches.
* ``contact_search(contact_id, search_vector)``: a narrow side table whose vector, built
  by ``contact_search_vector(search_text)``, has a GIN index, for the words tier. The
  vector takes the tokens verbatim (``array_to_tsvector``: no parser splitting emails);
  ``'tok':*`` is GIN's partial match, which merges the posting lists of every token with
  that prefix into a bitmap first: cheap for "olga", 20 ms for "j" (every James, John,
  Jones...). So the vector also carries ``~`` plus the first one and two characters of
  each word token not starting with a digit, and a short query word is that exact token
  (``'olga':* & '~j'``). Per words read, the planner picks a bitmap scan (rare tokens) or
  a backward walk of the key filtered on the vector (common ones), helped by a raised
  statistics target. A string of 3 or 4 digits matches many distinct, rare number
  suffixes that statistics miss, so it walks the newest rows first (PG_DIGIT_WINDOW),
  then fetches its matches by bitmap. Those are its slowest searches (~10 ms for 4
  digits): each match is a heap fetch.
* The tier gate: a tier is read only while the better tiers hold fewer contacts than the
  page needs (an uncorrelated condition, so a one-time filter: the read never starts).
  The broad words reads (every James with a word under "li") are thus skipped for
  "james li", whose exact and prefix tiers fill the page.

Both tables are kept by one trigger on contacts. pg_trgm was not chosen: it cannot index
queries shorter than three characters and cannot express "a word starts with", which
the tiers need.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from collections.abc import Iterable, Sequence

from sqlalchemy import func, literal, select, text, true, union_all
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from plugins.contacts.models import Contact
from plugins.contacts.normalize import (MIN_DIGIT_SUBSTRING, NAME_WORD, START, address_token,
                                        fold, fold_name, search_text_for)

__all__ = ["search_contacts", "count", "browse", "BrowsePage", "search_ddl", "drop_search_ddl",
           "rebuild_ddl", "rebuild_vectors_ddl", "rebuild_starts_ddl", "ensure_search_index",
           "refresh_search_text", "parse_query", "tier_arms", "ranked_query", "fold", "fold_name",
           "search_text_for"]

MAX_QUERY = 200
# Ranked matches a search filtered by visibility looks at, at most (see search_contacts).
VISIBLE_WINDOW_MAX = 20000
FTS_TABLE = "contacts_fts"
FTS_PREFIXES = (1, 2, 3, 4, 5, 6, 7, 8)   # prefix lengths SQLite indexes (the ^ counts)
# Newest candidates a SQLite arm reads in id order, re-checking each row (~4 us), before
# asking its exact expression.
RECENT_WINDOW = 1000
# Newest rows a PostgreSQL words read of a short digit string walks before its bitmap
# scan, by digit count. 3 digits occur in ~1 % of numbers: the walk meets enough. 4 in
# ~0.1-0.4 %: the walk rarely does, so it is kept short (it still catches the digits of a
# common area or mobile prefix, which a bitmap scan would fetch by the ten thousand).
PG_DIGIT_WINDOW = {3: 10000, 4: 2500}
PG_TABLE = "contact_search"
PG_STARTS = "contact_search_starts"   # (token, contact_id) for every start token
# Newest rows a start-prefix read walks before the token table, by prefix length (the
# marker not counted): about what holds enough matches of a common prefix that long.
PG_STARTS_WALK = {1: 10000, 2: 10000, 3: 5000}
PG_STARTS_WALK_LONG = 2000
PG_SHORT_WORD = "~"   # marks the vector's tokens for the first 1-2 characters of words

_PHONEISH = re.compile(r"\+?[\d\s\-.()/]*\d[\d\s\-.()/]*")


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
    name_words = NAME_WORD.findall(folded)
    if name_words:
        starts.append(START + "_".join(name_words))
    if raw and not any(c.isspace() for c in raw):
        token = address_token(raw)
        if token and START + token not in starts:
            starts.append(START + token)   # an email or id being typed
    words: list[str] = []
    for part in folded.split():
        token = address_token(part).strip("@.+-")
        if "." in token or "@" in token:
            words.append(token.rpartition("@")[2])   # a domain being typed
        else:
            words.extend(NAME_WORD.findall(part))
    return ParsedQuery(tuple(starts), tuple(dict.fromkeys(w for w in words if w)))


# --- per-dialect query expressions -------------------------------------------------------

@dataclass(frozen=True)
class Arm:
    """One tier's index read. ``match`` is what the index is asked; when SQLite had to
    shorten prefixes to indexed lengths, ``exact`` is the unshortened expression and
    ``checks`` the token starts to re-check (``check_all``: every one, else any)."""

    match: str
    exact: str = ""
    checks: tuple[str, ...] = ()
    check_all: bool = False
    recent_first: bool = False   # read the newest candidates before asking ``exact``
    window: int = 0                # ... this many (PostgreSQL; SQLite reads RECENT_WINDOW)
    starts: tuple[str, ...] = ()   # PostgreSQL: start tokens read from PG_STARTS
    prefix: bool = False           # ... as prefixes, else whole


def _fts_term(token: str, prefix: bool) -> str:
    return '"' + token.replace('"', '""') + '"' + ("*" if prefix else "")


def _ts_term(token: str, prefix: bool) -> str:
    quoted = token.replace("\\", "\\\\").replace("'", "''")
    return f"'{quoted}'" + (":*" if prefix else "")


def _pg_term(token: str) -> str:
    # A one- or two-character word prefix is asked as the exact token the vector carries
    # for it ('~j'): GIN reads one posting list instead of merging every word under "j"
    # into a bitmap (20 ms for "olga j" over a million contacts).
    if len(token) <= 2 and not token[0].isdigit() and token[0] != START:
        return _ts_term(PG_SHORT_WORD + token, False)
    return _ts_term(token, True)


def _prefix_arm(tokens: Sequence[str], dialect: str, joiner: str, check_all: bool) -> Arm:
    if dialect == "postgresql":
        # A short digit string matches many distinct, individually rare number suffixes,
        # which the planner's statistics miss: it would pick a bitmap scan over 10,000
        # rows for "415". Those read the newest contacts first. Names share tokens, so
        # statistics see them, and the planner chooses well.
        window = max((PG_DIGIT_WINDOW.get(len(t), 0) for t in tokens if t.isdigit()), default=0)
        return Arm(joiner.join(_pg_term(t) for t in tokens), recent_first=bool(window),
                   window=window)
    exact = joiner.join(_fts_term(t, True) for t in tokens)
    if all(len(t) in FTS_PREFIXES for t in tokens):
        return Arm(exact)
    # FTS5 streams a prefix query only through a prefix index of exactly that length;
    # any other length merges every matching term first (100 ms for "james" over a
    # million contacts). So read the longest indexed prefix and re-check the rest.
    longest = FTS_PREFIXES[-1]
    return Arm(joiner.join(_fts_term(t[:longest], True) for t in tokens), exact,
               tuple(" " + t for t in tokens), check_all, recent_first=True)


def tier_arms(parsed: ParsedQuery, dialect: str) -> list[Arm]:
    """The index reads of each tier, best tier first.

    Tiers overlap (an exact match is also a prefix match); a contact ranks in the first
    tier it matches. No arm carries a NOT: PostgreSQL cannot estimate "a AND NOT b" and
    would then walk the whole table looking for rows that are not there.
    """
    if dialect == "sqlite":
        any_of, all_of, term = " OR ", " AND ", _fts_term
    else:
        any_of, all_of, term = " | ", " & ", _ts_term
    arms = []
    if parsed.starts and dialect == "postgresql":
        arms.append(Arm(any_of.join(term(t, False) for t in parsed.starts), starts=parsed.starts))
        arms.append(Arm(any_of.join(term(t, True) for t in parsed.starts), starts=parsed.starts,
                        prefix=True))
    elif parsed.starts:
        arms.append(Arm(any_of.join(term(t, False) for t in parsed.starts)))
        arms.append(_prefix_arm(parsed.starts, dialect, any_of, check_all=False))
    if parsed.words:
        arms.append(_prefix_arm(parsed.words, dialect, all_of, check_all=True))
    return arms


def _dialect(session: Session) -> str:
    name = session.get_bind().dialect.name
    if name not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"contact search supports SQLite and PostgreSQL, not {name}")
    return name


def _match(dialect: str, param: str) -> str:
    if dialect == "postgresql":
        return f"SELECT contact_id AS id FROM {PG_TABLE} WHERE search_vector @@ CAST(:{param} AS tsquery)"
    return f"SELECT rowid AS id FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :{param}"


def _arm_sql(dialect: str, arm: Arm, name: str, params: dict, limit: str | None) -> str:
    """The ids an arm matches, newest first, at most ``limit`` (all of them when None)."""
    params[name] = arm.match
    if arm.checks:
        params[f"{name}x"] = arm.exact
    exact = _match(dialect, f"{name}x" if arm.checks else name)
    if limit is None:
        return exact
    if arm.starts:
        return _pg_starts_sql(arm, name, params, limit)
    if not arm.recent_first:   # FTS5 streams this; PostgreSQL's planner chooses well
        return f"{exact} ORDER BY id DESC LIMIT {limit}"
    if dialect == "sqlite":
        for j, check in enumerate(arm.checks):
            params[f"{name}_{j}"] = check
        joiner = " AND " if arm.check_all else " OR "
        checks = joiner.join(f"instr(' ' || search_text, :{name}_{j}) > 0"
                             for j in range(len(arm.checks)))
        # The id of the window's oldest candidate costs a doclist walk, no row reads;
        # rows are read (to re-check) only until enough matches are found.
        oldest = (f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :{name} "
                  f"ORDER BY rowid DESC LIMIT 1 OFFSET {RECENT_WINDOW - 1}")
        window = (f"SELECT rowid AS id FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :{name} "
                  f"AND rowid >= coalesce(({oldest}), 0) AND ({checks}) "
                  f"ORDER BY rowid DESC LIMIT {limit}")
        order = "rowid"
    else:
        window = (f"SELECT id FROM (SELECT contact_id AS id, search_vector FROM {PG_TABLE} "
                  f"ORDER BY contact_id DESC LIMIT {arm.window}) AS recent "
                  f"WHERE search_vector @@ CAST(:{name} AS tsquery) ORDER BY id DESC LIMIT {limit}")
        order = "contact_id + 0"   # never walk the whole key looking for rare matches
    # First the newest candidates, read in id order: enough for any common prefix. Only
    # when they hold too few matches is the exact expression asked, and then matches are
    # rare: a bitmap scan (PostgreSQL) or a small term merge (SQLite) is cheap.
    fallback = (f"{exact} AND (SELECT count(*) FROM found) < {limit} "
                f"ORDER BY {order} DESC LIMIT {limit}")
    return (f"WITH found AS ({window}) SELECT id FROM (SELECT id FROM found UNION "
            f"SELECT * FROM ({fallback}) AS f) AS m ORDER BY id DESC LIMIT {limit}")


def _next_prefix(prefix: str) -> str:
    """The smallest string above every string starting with ``prefix`` (code point,
    i.e. UTF-8 byte, order: what text_pattern_ops compares)."""
    following = ord(prefix[-1]) + 1
    if 0xD800 <= following <= 0xDFFF:   # surrogates cannot be stored
        following = 0xE000
    return prefix[:-1] + chr(min(following, 0x10FFFF))


def _pg_starts_sql(arm: Arm, name: str, params: dict, limit: str) -> str:
    """A start-token tier on PostgreSQL, from the btree of PG_STARTS: a whole token is
    one key range already in id order; a prefix is a range of keys whose ids are read
    from the index alone and sorted, after a short walk of the newest rows has had the
    chance to find enough (a prefix like "^j" matches a quarter of all contacts)."""
    reads = []
    for j, token in enumerate(arm.starts):
        if arm.prefix:
            params[f"{name}_lo{j}"], params[f"{name}_hi{j}"] = token, _next_prefix(token)
            # Sub-selects hide the bounds from the planner, which would otherwise
            # choose a sequential scan for "^j" (read only when the walk found few).
            where = (f"token ~>=~ (SELECT CAST(:{name}_lo{j} AS text)) "
                     f"AND token ~<~ (SELECT CAST(:{name}_hi{j} AS text))")
        else:
            params[f"{name}_lo{j}"] = token
            where = f"token = CAST(:{name}_lo{j} AS text)"
        reads.append(f"SELECT contact_id AS id FROM {PG_STARTS} WHERE {where}"
                     + ("" if arm.prefix else f" ORDER BY contact_id DESC LIMIT {limit}"))
    union = " UNION ALL ".join(f"SELECT id FROM ({r}) AS s{j}" for j, r in enumerate(reads))
    if not arm.prefix:
        return f"SELECT DISTINCT id FROM ({union}) AS u ORDER BY id DESC LIMIT {limit}"
    shortest = min(len(t) - len(START) for t in arm.starts)
    walk = PG_STARTS_WALK.get(shortest, PG_STARTS_WALK_LONG)
    window = (f"SELECT id FROM (SELECT contact_id AS id, search_vector FROM {PG_TABLE} "
              f"ORDER BY contact_id DESC LIMIT {walk}) AS recent "
              # the sub-select spares the planner estimating a term it cannot use
              f"WHERE search_vector @@ (SELECT CAST(:{name} AS tsquery)) LIMIT {limit}")
    fallback = (f"SELECT DISTINCT id FROM ({union}) AS u WHERE (SELECT count(*) FROM found) "
                f"< {limit} ORDER BY id DESC LIMIT {limit}")
    return (f"WITH found AS ({window}) SELECT id FROM (SELECT id FROM found UNION "
            f"SELECT id FROM ({fallback}) AS f) AS m ORDER BY id DESC LIMIT {limit}")


def ranked_query(dialect: str, arms: Sequence[Arm]) -> tuple[str, dict]:
    """One statement returning the contacts of all tiers in rank order, and its params.

    Each tier reads at most ``:n`` (offset + limit) ids, later tiers ``2 * :n`` because up
    to ``:n - 1`` of theirs may belong to earlier tiers, straight from the index in
    ``id DESC`` order; only those rows are grouped (a contact keeps its best tier),
    joined and sorted, so the cost does not grow with the number of matches.
    """
    params: dict = {}
    limits = [":n" if i == 0 else "(2 * :n)" for i in range(len(arms))]
    reads = [_arm_sql(dialect, arm, f"q{i}", params, limits[i]) for i, arm in enumerate(arms)]
    if dialect == "postgresql":
        # A tier is read only while the better ones hold fewer than :n contacts: once
        # they fill the page, "olga j" never asks for every Olga with a word under "j".
        # (An uncorrelated condition becomes a one-time filter: the read never starts.)
        ctes = []
        for i, read in enumerate(reads):
            better = " UNION ".join(f"SELECT id FROM arm{j}" for j in range(i))
            gate = f" WHERE (SELECT count(*) FROM ({better}) AS b) < :n" if i else ""
            ctes.append(f"arm{i} AS (SELECT id FROM ({read}) AS m{gate})")
        hits = " UNION ALL ".join(f"SELECT {i} AS tier, id FROM arm{i}" for i in range(len(arms)))
        head = f"WITH {', '.join(ctes)}, hits AS ({hits})"
    else:
        parts = [f"SELECT {i} AS tier, id FROM ({read}) AS arm{i}" for i, read in enumerate(reads)]
        head = f"WITH hits AS ({' UNION ALL '.join(parts)})"
    columns = ", ".join(f"contacts.{c.name}" for c in Contact.__table__.columns)
    return (f"{head}, ranked AS (SELECT id, min(tier) AS tier FROM hits GROUP BY id) "
            f"SELECT {columns} FROM ranked JOIN contacts ON contacts.id = ranked.id "
            "ORDER BY ranked.tier, ranked.id DESC LIMIT :limit OFFSET :offset"), params


# --- public API --------------------------------------------------------------------------

def search_contacts(session: Session, q: str | None, limit: int = 25,
                    offset: int = 0, visible=None) -> list[Contact]:
    """Contacts matching ``q`` by name, phone digits (any format) or email, best first.

    ``visible``: a condition on contacts (an agent's visibility) the results must meet.
    The ranked matches are then read in growing windows (best first) and filtered until
    the page is full; at most the best ``VISIBLE_WINDOW_MAX`` matches are looked at.
    """
    parsed = parse_query(q)
    if parsed.empty or limit <= 0:
        return []
    dialect = _dialect(session)
    offset = max(0, offset)
    sql, params = ranked_query(dialect, tier_arms(parsed, dialect))
    if visible is None:
        params.update(n=offset + limit, limit=limit, offset=offset)
        return list(session.scalars(select(Contact).from_statement(text(sql)), params))
    wanted, window = offset + limit, max(4 * (offset + limit), 100)
    while True:
        params.update(n=window, limit=window, offset=0)
        ranked = [row.id for row in session.execute(text(sql), params)]
        shown = set()
        for start in range(0, len(ranked), 500):
            part = ranked[start:start + 500]
            shown.update(session.scalars(select(Contact.id).where(Contact.id.in_(part), visible)))
        ids = [i for i in ranked if i in shown]
        if len(ids) >= wanted or len(ranked) < window or window >= VISIBLE_WINDOW_MAX:
            break
        window = min(window * 4, VISIBLE_WINDOW_MAX)
    page = ids[offset:offset + limit]
    found = {c.id: c for c in session.scalars(select(Contact).where(Contact.id.in_(page)))} if page else {}
    return [found[i] for i in page if i in found]


def count(session: Session, q: str | None = None) -> int:
    """How many contacts ``search_contacts`` can return for ``q`` (all contacts if empty)."""
    if not (q or "").strip():
        return session.scalar(select(func.count()).select_from(Contact))
    parsed = parse_query(q)
    if parsed.empty:
        return 0
    dialect = _dialect(session)
    params: dict = {}
    # The exact tier is inside the prefix tier, so the prefix and word reads cover all.
    arms = tier_arms(parsed, dialect)[-2:] if parsed.starts else tier_arms(parsed, dialect)
    union = " UNION ".join(_arm_sql(dialect, arm, f"q{i}", params, None)
                           for i, arm in enumerate(arms))
    return session.execute(text(f"SELECT count(*) FROM ({union}) AS matches"), params).scalar_one()


@dataclass(frozen=True)
class BrowsePage:
    items: list[Contact]
    page: int
    per_page: int
    has_next: bool


def browse(session: Session, sort: str = "name", page: int = 1,
           per_page: int = 50, visible=None) -> BrowsePage:
    """All contacts (those meeting ``visible``), a page at a time: by name (unnamed
    last) or most recently updated."""
    visible = true() if visible is None else visible
    if sort not in ("name", "recent"):
        raise ValueError(f"sort must be 'name' or 'recent', not {sort!r}")
    page, per_page = max(1, page), max(1, min(per_page, 500))
    offset = (page - 1) * per_page
    if sort == "recent":
        stmt = select(Contact).where(visible).order_by(Contact.updated_at.desc(), Contact.id.desc())
    else:
        # Two index range scans (named by sort_name, then unnamed), each cut at the page
        # end, instead of one ORDER BY on an expression no index can serve.
        def arm(tier: int, where):
            return (select(literal(tier).label("tier"), Contact.id, Contact.sort_name)
                    .where(where, visible).order_by(Contact.sort_name, Contact.id)
                    .limit(offset + per_page + 1).subquery())
        named, unnamed = arm(0, Contact.sort_name > ""), arm(1, Contact.sort_name == "")
        ranked = union_all(select(named), select(unnamed)).subquery()
        stmt = (select(Contact).join(ranked, ranked.c.id == Contact.id)
                .order_by(ranked.c.tier, ranked.c.sort_name, ranked.c.id))
    found = list(session.scalars(stmt.limit(per_page + 1).offset(offset)))
    return BrowsePage(found[:per_page], page, per_page, len(found) > per_page)


# --- DDL for migrations and tests --------------------------------------------------------

# array_to_tsvector keeps our tokens verbatim: no text-search parser splitting emails.
# Besides the tokens of search_text, the vector holds '~' plus the first one and two
# characters of each word token that does not start with a digit: what one- and
# two-character query words are asked as.
_PG_VECTOR_FUNCTION = (
    f"CREATE OR REPLACE FUNCTION {PG_TABLE}_vector(search_text text) RETURNS tsvector "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
    f"SELECT array_to_tsvector(tokens || ARRAY(SELECT DISTINCT '{PG_SHORT_WORD}' || left(t, n) "
    "FROM unnest(tokens) AS t, generate_series(1, 2) AS n WHERE t ~ '^[^0-9^]')) "
    "FROM string_to_array(search_text, ' ') AS tokens $$")
_PG_VECTOR = PG_TABLE + "_vector({text})"
_PG_UPSERT = (f"INSERT INTO {PG_TABLE} (contact_id, search_vector) {{source}} "
              "ON CONFLICT (contact_id) DO UPDATE SET search_vector = EXCLUDED.search_vector")
# fastupdate off: contacts change rarely, and a pending list would make every search
# also scan the unindexed recent entries.
_PG_INDEX = (f"CREATE INDEX IF NOT EXISTS ix_{PG_TABLE}_search_vector ON {PG_TABLE} "
             "USING gin (search_vector) WITH (fastupdate = off)")
_PG_STARTS_INSERT = (f"INSERT INTO {PG_STARTS} (token, contact_id) SELECT token, {{id}} "
                     "FROM {source} unnest(string_to_array({text}, ' ')) AS token "
                     f"WHERE left(token, 1) = '{START}'")   # tokens are unique per contact
_PG_STARTS_INDEX = (f"CREATE INDEX IF NOT EXISTS ix_{PG_STARTS}_token ON {PG_STARTS} "
                    "(token text_pattern_ops, contact_id)")
_PG_SYNC = (f"CREATE OR REPLACE FUNCTION {PG_TABLE}_sync() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN IF TG_OP <> 'INSERT' THEN "
            f"DELETE FROM {PG_STARTS} WHERE token = ANY(string_to_array(OLD.search_text, ' ')) "
            "AND contact_id = OLD.id; END IF; "
            "IF TG_OP = 'DELETE' THEN RETURN NULL; END IF; "   # contact_search cascades
            + _PG_UPSERT.format(
                source="VALUES (NEW.id, " + _PG_VECTOR.format(text="NEW.search_text") + ")")
            + "; " + _PG_STARTS_INSERT.format(id="NEW.id", source="", text="NEW.search_text")
            + "; RETURN NULL; END $$")


def search_ddl(dialect: str) -> list[str]:
    """Statements creating the search index for ``dialect``; a migration ``op.execute``s them.

    Idempotent. When the contacts table already has rows, follow with
    :func:`rebuild_ddl`.
    """
    if dialect == "sqlite":
        sync_insert = (f"INSERT INTO {FTS_TABLE}(rowid, search_text) "
                       "VALUES (new.id, new.search_text);")
        sync_delete = (f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) "
                       "VALUES ('delete', old.id, old.search_text);")
        prefixes = " ".join(map(str, FTS_PREFIXES))
        return [
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
            "search_text, content='contacts', content_rowid='id', detail=none, "
            f"columnsize=0, prefix='{prefixes}', "
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
            # A narrow side table, not a column of contacts: when a tier walks ids
            # backwards or fetches a bitmap of matches, it reads ~250-byte rows that stay
            # cached instead of whole contacts (measured 2-3x faster at a million).
            f"CREATE TABLE IF NOT EXISTS {PG_TABLE} ("
            "contact_id integer NOT NULL, search_vector tsvector NOT NULL, "
            f"CONSTRAINT pk_{PG_TABLE} PRIMARY KEY (contact_id), "
            f"CONSTRAINT fk_{PG_TABLE}_contact_id_contacts FOREIGN KEY (contact_id) "
            "REFERENCES contacts (id) ON DELETE CASCADE)",
            # Per-token statistics let the planner choose between that walk (common
            # tokens) and a bitmap scan (rare ones); the default target sees too few.
            f"ALTER TABLE {PG_TABLE} ALTER COLUMN search_vector SET STATISTICS 1000",
            _PG_INDEX,
            # Start tokens in a btree as well: a prefix is a key range, read from the
            # index alone (no FK: the trigger removes a contact's tokens by key).
            f"CREATE TABLE IF NOT EXISTS {PG_STARTS} (token text NOT NULL, "
            "contact_id integer NOT NULL)",
            _PG_STARTS_INDEX,
            _PG_VECTOR_FUNCTION,
            _PG_SYNC,
            f"CREATE OR REPLACE TRIGGER {PG_TABLE}_sync AFTER INSERT OR DELETE OR UPDATE OF "
            f"search_text ON contacts FOR EACH ROW EXECUTE FUNCTION {PG_TABLE}_sync()",
        ]
    raise NotImplementedError(f"contact search supports SQLite and PostgreSQL, not {dialect}")


def drop_search_ddl(dialect: str) -> list[str]:
    """Statements undoing :func:`search_ddl` (a migration's downgrade)."""
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{t}" for t in ("ai", "ad", "au")] + \
               [f"DROP TABLE IF EXISTS {FTS_TABLE}"]
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {PG_TABLE}_sync ON contacts",
                f"DROP FUNCTION IF EXISTS {PG_TABLE}_sync()",
                f"DROP FUNCTION IF EXISTS {PG_TABLE}_vector(text)",
                f"DROP TABLE IF EXISTS {PG_STARTS}",
                f"DROP TABLE IF EXISTS {PG_TABLE}"]
    raise NotImplementedError(dialect)


def rebuild_ddl(dialect: str) -> list[str]:
    """Statements re-indexing every existing contact (after a bulk load or an upgrade)."""
    if dialect == "sqlite":
        return [f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
                f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')"]
    return rebuild_vectors_ddl() + rebuild_starts_ddl()


def rebuild_vectors_ddl() -> list[str]:
    """PostgreSQL statements refilling the search vectors from every contact."""
    # Building a GIN index once is far cheaper than growing it row by row.
    return [f"DROP INDEX IF EXISTS ix_{PG_TABLE}_search_vector",
            _PG_UPSERT.format(source="SELECT id, " + _PG_VECTOR.format(text="search_text")
                              + " FROM contacts"),
            _PG_INDEX, f"ANALYZE {PG_TABLE}"]


def rebuild_starts_ddl() -> list[str]:
    """PostgreSQL statements refilling the start-token table from every contact."""
    return [f"DROP INDEX IF EXISTS ix_{PG_STARTS}_token", f"TRUNCATE {PG_STARTS}",
            _PG_STARTS_INSERT.format(id="id", source="contacts,", text="search_text"),
            _PG_STARTS_INDEX, f"ANALYZE {PG_STARTS}"]


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
