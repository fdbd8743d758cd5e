"""Contact search benchmark: indexed ``search_contacts`` against a naive LIKE scan.

    python benchmarks/contacts_search.py [--n 1000000] [--queries 1000] [--naive 50]

Builds the contacts schema in a fresh SQLite file and, when SWITCHBOARD_DATABASE_URL is a
PostgreSQL URL, in a scratch schema of that database (dropped afterwards); bulk-loads N
generated contacts (names, emails, phones written in varied formats and normalised to
E.164), builds the search index, then times the same mixed queries (name prefixes,
phone digits, email prefixes) through ``search_contacts`` and through a naive
``LIKE/ILIKE '%q%'`` scan, printing p50/p95 in milliseconds and the ratio. The naive
scan reads the whole table, so only the first ``--naive`` queries run through it.
Target: indexed p95 <= 20 ms at 1,000,000 contacts.

``--databases postgresql --pg-schema NAME --reuse`` keeps the loaded PostgreSQL schema and,
on the next run with the same ``--n``/``--seed``, times it again without reloading (the
search DDL is re-applied, which is idempotent; data changes still need a fresh load).
"""
from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import phonenumbers  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import host.models  # noqa: E402,F401  (contacts reference groups and agents)
from host.extensions import db  # noqa: E402
from plugins.contacts.normalize import InvalidAddress, normalize  # noqa: E402
from plugins.contacts.search import (ensure_search_index, fold_name, rebuild_starts_ddl,  # noqa: E402
                                     search_contacts, search_text_for)

FIRST = ("James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David "
         "Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Nancy "
         "Daniel Lisa Matthew Betty Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly "
         "Paul Emily Andrew Donna Joshua Michelle Kenneth Dorothy Kevin Carol Brian Amanda "
         "George Melissa Edward Deborah Ronald Stephanie Timothy Rebecca Jason Sharon Jeffrey "
         "Laura Ryan Cynthia Jacob Kathleen Gary Amy Nicholas Shirley Eric Angela Jonathan "
         "Helen Stephen Anna Larry Brenda Justin Pamela Scott Nicole Brandon Emma Benjamin "
         "Samantha Samuel Katherine Gregory Christine Frank Debra Alexander Rachel Raymond "
         "Catherine Patrick Carolyn Jack Janet Dennis Ruth Jerry Maria Tyler Heather Aaron "
         "Diane José Zoë Chloé Siobhán Björn Léa Jürgen Ana Mohammed Wei Aisha Olga Sven "
         "Priya Hiroshi Fatima Luca Sofia Mateo Amélie Noah Oliver Mia Liam Ava Lucas Isla").split()
LAST = ("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
        "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
        "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott "
        "Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell "
        "Carter Roberts Evans Turner Phillips Parker Collins Edwards Stewart Morris Murphy Cook "
        "Rogers Morgan Peterson Cooper Reed Bailey Bell Gomez Kelly Howard Ward Cox Diaz "
        "Richardson Wood Watson Brooks Bennett Gray James Reyes Cruz Hughes Price Myers Long "
        "Foster Sanders Ross Morales Powell Sullivan Russell Ortiz Jenkins Gutierrez Perry "
        "Butler Barnes Fisher Henderson Coleman Simmons Patterson Jordan Reynolds Hamilton "
        "Graham Kim González Müller Schmidt Schneider Fischer Weber O'Brien O'Connor "
        "MacDonald Dubois Lefèvre Rossi Russo Ferrari Esposito Bianchi Kowalski Nowak Novák "
        "Jensen Hansen Larsen Johansson Andersson Silva Santos Oliveira Pereira Costa Tanaka "
        "Suzuki Sato Chen Wang Li Zhang Liu Singh Kumar Patel Shah Ahmed Khan Ali Ivanov "
        "Smirnov García-Márquez Van der Berg De Jong").split()
DOMAINS = ["gmail.com"] * 12 + ["yahoo.com"] * 4 + ["outlook.com"] * 4 + [
    "hotmail.com", "icloud.com", "aol.com", "proton.me", "gmx.de", "web.de", "orange.fr",
    "btinternet.com", "acme.com", "globex.com", "initech.io", "umbrella-corp.com", "hooli.xyz",
    "piedpiper.com", "wayne-enterprises.com", "stark.industries", "cyberdyne.net"]
# Region of each contact's phone, by contact id modulo 10.
REGION_SLOTS = ["US"] * 6 + ["GB", "GB", "DE", "FR"]
PREFIXES_PER_REGION = 600
CHUNK = 25_000


def _weights(n: int) -> list[float]:
    return [1 / (rank + 1) ** 0.8 for rank in range(n)]   # Zipf-like: common names dominate


def phone_prefixes(region: str, count: int, rng: random.Random) -> list[str]:
    """Valid national-number prefixes (all but the last four digits) for ``region``."""
    templates = []
    for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
        example = phonenumbers.example_number_for_type(region, kind)
        if example:
            templates.append(phonenumbers.national_significant_number(example))
    found: set[str] = set()
    while len(found) < count:
        template = rng.choice(templates)
        keep = 1 if region == "US" else 2
        nsn = template[:keep] + "".join(rng.choice("0123456789") for _ in template[keep:])
        if region == "US" and (nsn[0] in "01" or nsn[3] in "01"):
            continue
        number = phonenumbers.parse(nsn, region)
        if phonenumbers.is_valid_number(number):
            found.add(nsn[:-4])
    return sorted(found)


def _written(e164: str, region: str, rng: random.Random) -> tuple[str, str]:
    """The number as a person might have typed it, and the region to read it with."""
    number = phonenumbers.parse(e164, None)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    intl = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    style = rng.randrange(6)
    if style == 0:
        return e164, "US"
    if style == 1:
        return intl, "US"
    if style == 2:
        return "00" + intl[1:].replace(" ", "-"), "US"
    if style == 3:
        return national.replace(" ", "."), region
    if style == 4:
        return re.sub(r"\D", "", national), region
    return national, region


def generate_chunk(args: tuple[int, int, int, dict[str, list[str]]]):
    """Contacts ``start .. stop-1`` as (contact rows, identity rows); deterministic per seed."""
    start, stop, seed, prefixes = args
    rng = random.Random(seed * 1_000_003 + start)
    wf, wl = _weights(len(FIRST)), _weights(len(LAST))
    epoch = datetime(2023, 1, 1)
    contacts, identities = [], []
    for cid in range(start, stop):
        first, last = rng.choices(FIRST, wf)[0], rng.choices(LAST, wl)[0]
        name = f"{first} {last}" if rng.random() < 0.93 else (first if rng.random() < 0.5 else "")
        idents: list[tuple[str, str]] = []
        email = None
        if rng.random() < 0.7:
            local = re.sub(r"[^a-z.]", "", first.lower()[:1 + rng.randrange(8)] + "."
                           + last.lower().replace(" ", "")).strip(".") + str(cid % 97 or "")
            email = normalize("email", f"{local}@{rng.choice(DOMAINS)}")
            idents.append(("email", email))
        if rng.random() < 0.95:
            region = REGION_SLOTS[cid % 10]
            slot = (cid // 10) * REGION_SLOTS.count(region) + REGION_SLOTS[:cid % 10].count(region)
            pool = prefixes[region]
            # 7919 is coprime to 10000: distinct, scattered last four digits per prefix.
            nsn = pool[slot % len(pool)] + f"{(slot // len(pool)) * 7919 % 10000:04d}"
            e164 = phonenumbers.format_number(phonenumbers.parse(nsn, region),
                                              phonenumbers.PhoneNumberFormat.E164)
            typed, typed_region = _written(e164, region, rng)
            try:
                phone = normalize("phone", typed, typed_region)
                idents.append(("phone", phone))
                if rng.random() < 0.3:
                    idents.append(("whatsapp", normalize("whatsapp", "whatsapp:" + phone)))
            except InvalidAddress:
                pass
        if rng.random() < 0.05:
            idents.append(("livechat", f"lc-{rng.getrandbits(64):016x}"))
        created = epoch + timedelta(seconds=cid * 90 + rng.randrange(60))
        contacts.append((cid, name, "channel" if name else None, email, "channel" if email else None,
                         None, fold_name(name), search_text_for(name, email, idents), created, created))
        identities.extend((cid, kind, address, False, created) for kind, address in idents)
    return contacts, identities


def generate(n: int, seed: int):
    rng = random.Random(seed)
    prefixes = {r: phone_prefixes(r, PREFIXES_PER_REGION, rng) for r in sorted(set(REGION_SLOTS))}
    jobs = [(s, min(s + CHUNK, n + 1), seed, prefixes) for s in range(1, n + 1, CHUNK)]
    contacts, identities, seen = [], [], set()
    with multiprocessing.Pool() as pool:
        for rows, idents in pool.imap(generate_chunk, jobs):
            contacts.extend(rows)
            for ident in idents:   # rare email collisions: keep the first owner
                if (ident[1], ident[2]) not in seen:
                    seen.add((ident[1], ident[2]))
                    identities.append(ident)
    return contacts, identities


def make_queries(contacts, identities, count: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed + 1)
    named = [c for c in contacts if c[1]]
    emails = [i[2] for i in rng.sample(identities, min(len(identities), 200_000)) if i[1] == "email"]
    phones = [i[2] for i in rng.sample(identities, min(len(identities), 200_000)) if i[1] == "phone"]
    queries = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.4:
            words = rng.choice(named)[1].split()
            if len(words) > 1 and rng.random() < 0.25:
                q = f"{words[0]} {words[-1][:rng.randint(1, 3)]}"
            else:
                word = rng.choice(words)
                q = word[:rng.randint(2, max(2, len(word)))]
            queries.append(("name", q))
        elif roll < 0.75:
            number = phonenumbers.parse(rng.choice(phones), None)
            national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
            intl = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
            digits = re.sub(r"\D", "", intl)
            style = rng.randrange(5)
            if style == 0:
                q = national[:rng.randint(5, len(national))]                # "(415) 555-2"
            elif style == 1:
                q = intl[:rng.randint(4, len(intl))]                        # "+1 415 5"
            elif style == 2:
                at = rng.randrange(1, len(digits) - 4)                      # "555 12"
                q = digits[at:at + rng.randint(4, 7)]
                q = q[:3] + " " + q[3:] if rng.random() < 0.5 else q
            elif style == 3:
                q = digits[-4:]                                             # last four
            else:
                q = re.sub(r"\D", "", national)                             # whole number
            queries.append(("phone", q))
        else:
            email = rng.choice(emails)
            queries.append(("email", email[:rng.randint(3, min(len(email), 14))]))
    return queries


def naive_sql(dialect: str) -> str:
    """The scan a search box without an index does: '%q%' over names, emails, addresses
    (phone digits matched as digits), newest first."""
    like = "ILIKE" if dialect == "postgresql" else "LIKE"
    return (f"SELECT id FROM contacts WHERE name {like} :p OR email {like} :p UNION "
            f"SELECT contact_id FROM contact_identities WHERE address {like} :p "
            f"OR address {like} :d ORDER BY 1 DESC LIMIT 25")


def timed(fn) -> float:
    began = time.perf_counter()
    fn()
    return (time.perf_counter() - began) * 1000


def load() -> str:
    """This machine's load: shared CI/dev machines slow every figure printed here."""
    return "load average %.1f %.1f %.1f on %d CPUs" % (*os.getloadavg(), os.cpu_count())


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


CONTACT_COLUMNS = ("id, name, name_source, email, email_source, preferred_channel, sort_name, "
                   "search_text, created_at, updated_at")
IDENTITY_COLUMNS = "contact_id, kind, address, opted_out, created_at"
TABLES = [db.metadata.tables[t] for t in ("groups", "agents", "contacts",
                                          "contact_identities", "contact_notes")]


def load_sqlite(path: Path, contacts, identities) -> tuple:
    engine = create_engine(f"sqlite:///{path}")
    db.metadata.create_all(engine, tables=TABLES)
    raw = engine.raw_connection()
    try:
        # Bulk-load settings for a throwaway file only: no journal, no fsync.
        raw.execute("PRAGMA journal_mode=OFF")
        raw.execute("PRAGMA synchronous=OFF")
        raw.executemany(f"INSERT INTO contacts ({CONTACT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                        contacts)
        raw.executemany(f"INSERT INTO contact_identities ({IDENTITY_COLUMNS}) VALUES (?,?,?,?,?)",
                        identities)
        raw.commit()
    finally:
        raw.close()
    return engine


def load_postgres(url: str, schema: str, contacts, identities) -> tuple:
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    admin.dispose()
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    db.metadata.create_all(engine, tables=TABLES)
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:
            with cur.copy(f"COPY contacts ({CONTACT_COLUMNS}) FROM STDIN") as copy:
                for row in contacts:
                    copy.write_row(row)
            with cur.copy(f"COPY contact_identities ({IDENTITY_COLUMNS}) FROM STDIN") as copy:
                for row in identities:
                    copy.write_row(row)
            cur.execute("SELECT setval(pg_get_serial_sequence('contacts', 'id'), "
                        "(SELECT max(id) FROM contacts))")
        raw.commit()
    finally:
        raw.close()
    return engine


def build_index(engine) -> float:
    began = time.perf_counter()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET maintenance_work_mem = '512MB'")   # index build only
        ensure_search_index(conn, rebuild=True)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("contacts", "contact_identities", "contact_search",
                          "contact_search_starts"):   # as autovacuum would
                conn.exec_driver_sql(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - began


def loaded_count(url: str, schema: str) -> int:
    """Contacts already in ``schema`` (0 when it has no contacts table)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if conn.exec_driver_sql(f"SELECT to_regclass('{schema}.contacts')").scalar() is None:
                return 0
            return conn.exec_driver_sql(f"SELECT count(*) FROM {schema}.contacts").scalar()
    finally:
        engine.dispose()


def refresh_index(engine) -> float:
    """A reused schema: apply the current search DDL (idempotent) and fresh statistics."""
    began = time.perf_counter()
    ensure_search_index(engine)
    with engine.begin() as conn:   # kept by an older version: no start tokens yet
        if conn.exec_driver_sql("SELECT NOT EXISTS (SELECT FROM contact_search_starts)").scalar():
            for sql in rebuild_starts_ddl():
                conn.exec_driver_sql(sql)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("contact_search", "contact_search_starts"):
            conn.exec_driver_sql(f"VACUUM ANALYZE {table}")
    return time.perf_counter() - began


def run_queries(engine, queries, naive_count: int) -> dict:
    def indexed(q):
        with Session(engine) as session:
            return search_contacts(session, q)

    def naive(q):
        digits = re.sub(r"\D", "", q)
        with Session(engine) as session:
            return session.execute(text(naive_sql(engine.dialect.name)),
                                   {"p": f"%{q}%", "d": f"%{digits or q}%"}).all()

    for _, q in queries[:20]:   # warm the caches and the connection pool
        indexed(q)
    times = {kind: [] for kind in ("name", "phone", "email")}
    hits, all_times, cpu_times = 0, [], []
    for kind, q in queries:
        found = []
        cpu = time.process_time()
        all_times.append(timed(lambda found=found, q=q: found.extend(indexed(q))))
        cpu_times.append((time.process_time() - cpu) * 1000)
        times[kind].append(all_times[-1])
        hits += bool(found)
    naive_times = [timed(lambda q=q: naive(q)) for _, q in queries[:naive_count]]
    return {"all": all_times, "cpu": cpu_times, "queries": [q for _, q in queries], "by_kind": times, "hits": hits,
            "indexed_same": all_times[:naive_count] if naive_count else [],
            "naive": naive_times}


def report(label: str, result: dict, build_s: float, size: str) -> None:
    t = result["all"]
    print(f"\n== {label} ==  index build {build_s:.1f} s, {size}; {load()}")
    print(f"indexed search, {len(t)} queries: p50 {pct(t, 50):.2f} ms  p95 {pct(t, 95):.2f} ms  "
          f"max {max(t):.1f} ms  ({result['hits']} with results)")
    if label.startswith("SQLite"):
        cpu = result["cpu"]   # in-process: the CPU a query used, whatever else runs
        print(f"  CPU time of the same queries: p50 {pct(cpu, 50):.2f} ms  p95 {pct(cpu, 95):.2f} ms")
    slow = sorted(zip(t, result["queries"], strict=True), reverse=True)[:5]
    print("  slowest: " + ", ".join(f"{q!r} {ms:.1f} ms" for ms, q in slow))
    for kind, ts in result["by_kind"].items():
        print(f"  {kind:5} ({len(ts):4}): p50 {pct(ts, 50):.2f} ms  p95 {pct(ts, 95):.2f} ms")
    if result["naive"]:
        n, same = result["naive"], result["indexed_same"]
        print(f"naive LIKE '%q%' scan, first {len(n)} queries: p50 {pct(n, 50):.1f} ms  "
              f"p95 {pct(n, 95):.1f} ms")
        print(f"  same {len(n)} queries indexed: p50 {pct(same, 50):.2f} ms  p95 {pct(same, 95):.2f} ms"
              f"  -> naive/indexed: p50 x{statistics.median(n) / statistics.median(same):.0f}, "
              f"p95 x{pct(n, 95) / pct(same, 95):.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="contacts to generate")
    parser.add_argument("--queries", type=int, default=1000, help="indexed queries to time")
    parser.add_argument("--naive", type=int, default=50, help="queries to time as a naive scan")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sqlite-path", help="SQLite file (default: a temporary file)")
    parser.add_argument("--databases", default="sqlite,postgresql",
                        help="comma-separated: sqlite, postgresql (the latter needs the URL)")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file / PG schema")
    parser.add_argument("--pg-schema", help="PostgreSQL schema to use (default: a scratch one); "
                        "with --reuse, one kept by an earlier --keep run")
    parser.add_argument("--reuse", action="store_true",
                        help="PostgreSQL: if --pg-schema already holds contacts (same --n and "
                             "--seed), skip loading: re-run the search DDL (idempotent), fill the "
                             "start tokens if empty, VACUUM ANALYZE; implies --keep")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    print(f"python benchmarks/contacts_search.py --n {args.n} --queries {args.queries} "
          f"--naive {args.naive}; {load()}")

    began = time.perf_counter()
    contacts, identities = generate(args.n, args.seed)
    queries = make_queries(contacts, identities, args.queries, args.seed)
    # The generated rows are the benchmark's, not the app's: keep the cyclic GC from
    # walking millions of tuples in the middle of timed searches.
    gc.freeze()
    print(f"generated {len(contacts):,} contacts, {len(identities):,} identities, "
          f"{len(queries)} queries in {time.perf_counter() - began:.1f} s")
    print("sample queries:", ", ".join(repr(q) for _, q in queries[:12]))

    if "sqlite" in args.databases:
        bench_sqlite(args, contacts, identities, queries)
    url = os.environ.get("SWITCHBOARD_DATABASE_URL", "")
    if "postgresql" in args.databases and url.startswith("postgres"):
        bench_postgres(args, url, contacts, identities, queries)
    elif "postgresql" in args.databases:
        print("\n(SWITCHBOARD_DATABASE_URL is not a PostgreSQL URL: PostgreSQL skipped)")


def bench_sqlite(args, contacts, identities, queries) -> None:
    tmpdir = tempfile.mkdtemp(prefix="contacts-bench-")
    path = Path(args.sqlite_path or Path(tmpdir) / "contacts.sqlite3")
    path.unlink(missing_ok=True)
    began = time.perf_counter()
    engine = load_sqlite(path, contacts, identities)
    print(f"SQLite: loaded in {time.perf_counter() - began:.1f} s")
    build_s = build_index(engine)
    result = run_queries(engine, queries, args.naive)
    report(f"SQLite {sqlite_version(engine)}, {args.n:,} contacts", result, build_s,
           f"file {path.stat().st_size / 2**20:.0f} MiB")
    engine.dispose()
    if not args.keep:
        path.unlink()


def bench_postgres(args, url, contacts, identities, queries) -> None:
    url = re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql+psycopg://", url)
    schema = args.pg_schema or f"bench_contacts_{os.getpid()}"
    began = time.perf_counter()
    args.keep = args.keep or args.reuse
    reused = args.reuse and loaded_count(url, schema) == len(contacts)
    if reused:
        engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
        print(f"\nPostgreSQL: reusing the {len(contacts):,} contacts in schema {schema}")
    else:
        engine = load_postgres(url, schema, contacts, identities)
        print(f"\nPostgreSQL: loaded into schema {schema} in {time.perf_counter() - began:.1f} s")
    try:
        build_s = refresh_index(engine) if reused else build_index(engine)
        result = run_queries(engine, queries, args.naive)
        with engine.connect() as conn:
            size = conn.exec_driver_sql(
                "SELECT pg_size_pretty(pg_total_relation_size('contacts')), "
                "pg_size_pretty(pg_total_relation_size('contact_search')), "
                "pg_size_pretty(pg_total_relation_size('contact_search_starts'))").one()
            version = conn.exec_driver_sql("SHOW server_version").scalar()
        report(f"PostgreSQL {version}, {args.n:,} contacts", result, build_s,
               f"contacts table {size[0]}, search table and index {size[1]}, "
               f"start tokens {size[2]}")
    finally:
        engine.dispose()
        if not args.keep:
            cleanup = create_engine(url)
            with cleanup.begin() as conn:
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            cleanup.dispose()


def sqlite_version(engine) -> str:
    with engine.connect() as conn:
        return conn.exec_driver_sql("select sqlite_version()").scalar()


if __name__ == "__main__":
    main()
