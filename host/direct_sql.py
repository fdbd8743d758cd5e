"""Statements every inbound message runs, executed straight on the database driver.

``session.execute(statement)`` spends ~50 µs of Python per statement around the
driver call (ORM session dispatch, cache key, execution context, parameter and result
objects) — on SQLite several times the statement itself, and about a third of an
inbound webhook. For the handful of Core statements of that path this module compiles
each statement once per database dialect with SQLAlchemy's own compiler and type
processors, then runs it on the DBAPI cursor of the session's connection, inside the
session's transaction:

* the SQL, the parameter conversions (dates on SQLite, JSON…) and the result
  conversions are SQLAlchemy's, so values read and written are the same as through
  ``session.execute``;
* ``before_cursor_execute``/``after_cursor_execute`` listeners still run (the SQLite
  writer turn in :mod:`host.sqlite_writes` and the tests' statement counters rely on
  them);
* a driver error is wrapped and handled by SQLAlchemy as usual (``IntegrityError``,
  a lost connection invalidated so :func:`host.db_connections.retry_on_disconnect`
  can run the work again);
* they run on the connection the caller got from ``session.connection()`` (asked
  once per transaction: each ask costs half as much as a statement run here), so
  pending ORM changes are not flushed first: flush before a statement that must see
  them.

Only for module-level statements (each is compiled and kept once per dialect and set
of parameter names) of table columns, without ``IN`` lists that expand and without
Python-side column defaults left to fill: those are refused when compiled. With SQL
echo on, statements go through ``connection.execute`` so they are logged as usual.

Two SQLAlchemy internals are used: the compiled statement's result columns and the
connection's DBAPI error handler. ``tests/host/test_direct_sql.py`` reads, writes and
fails through here on SQLite and PostgreSQL, so an upgrade that changes them shows up.
"""
from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass

from sqlalchemy.engine import Connection

_COMPILED: dict[tuple, "_Compiled"] = {}


@dataclass(frozen=True)
class _Compiled:
    sql: str
    binds: tuple  # (name, default, bind processor or None), in the order the driver wants them
    positional: bool
    row: type | None  # a named tuple of the result columns, None for statements without rows
    results: tuple | None  # result processor (or None) per column; None when no column has one

    def parameters(self, params: dict):
        values = []
        for name, default, process in self.binds:
            value = params[name] if name in params else default
            values.append(process(value) if process is not None else value)
        return tuple(values) if self.positional else dict(zip((b[0] for b in self.binds), values))

    def make_rows(self, raw_rows) -> list:
        if self.results is None:
            return [self.row._make(raw) for raw in raw_rows]
        return [self.row._make([p(v) if p is not None else v for p, v in zip(self.results, raw)])
                for raw in raw_rows]


def _row_type(keys: list[str]) -> type:
    row = namedtuple("Row", keys, rename=True)
    # ``row._mapping`` as on SQLAlchemy's rows (the event snapshots read rows that way).
    row._mapping = property(lambda self: dict(zip(keys, self)))
    return row


def _compile(statement, dialect, keys: tuple | None) -> _Compiled:
    compiled = statement.compile(dialect=dialect, column_keys=list(keys) if keys is not None else None,
                                 compile_kwargs={"render_postcompile": True})
    if getattr(compiled, "insert_prefetch", None) or getattr(compiled, "update_prefetch", None):
        missing = [c.key for c in (*compiled.insert_prefetch, *compiled.update_prefetch)]
        raise ValueError(f"give these columns a value, their Python defaults are not applied here: {missing}")
    names = list(compiled.positiontup) if compiled.positional else list(compiled.binds)
    binds = []
    for name in names:
        bind = compiled.binds[name]
        if bind.expanding:
            raise ValueError(f"expanding IN parameter {name!r} is not supported here")
        impl = bind.type.dialect_impl(dialect)
        binds.append((name, None if bind.required else bind.effective_value, impl.bind_processor(dialect)))
    # The result columns as SQLAlchemy's own result rows see them (key, type). Read from
    # the compiled form: asking the statement (``exported_columns``) memoizes on it, and
    # statements built from it later (``.returning(…)``) would inherit the stale list.
    columns = compiled._result_columns or []
    results = tuple(entry.type.dialect_impl(dialect).result_processor(dialect, None) for entry in columns)
    row = _row_type([entry.keyname for entry in columns]) if columns else None
    return _Compiled(str(compiled), tuple(binds), compiled.positional, row, results if any(results) else None)


def _compiled_for(connection, statement, params: dict) -> _Compiled:
    keys = tuple(params) if statement.is_dml else None
    key = (statement, connection.dialect.name, keys)
    compiled = _COMPILED.get(key)
    if compiled is None:
        compiled = _COMPILED[key] = _compile(statement, connection.dialect, keys)
    return compiled


def rows(connection: Connection, statement, params: dict) -> list:
    """Run ``statement`` with ``params`` on ``connection`` (``session.connection()``: in
    the session's transaction): its rows (named tuples, with ``_mapping``), or ``[]``
    for a statement that returns none."""
    if connection.engine.echo:
        result = connection.execute(statement, params)
        return list(result) if result.returns_rows else []
    compiled = _compiled_for(connection, statement, params)
    parameters = compiled.parameters(params)
    sql = compiled.sql
    cursor = None
    try:
        cursor = connection.connection.dbapi_connection.cursor()
        dispatch = connection.dispatch
        for listener in dispatch.before_cursor_execute:
            sql, parameters = listener(connection, cursor, sql, parameters, None, False)
        cursor.execute(sql, parameters)
        for listener in dispatch.after_cursor_execute:
            listener(connection, cursor, sql, parameters, None, False)
        raw = cursor.fetchall() if compiled.row is not None else ()
    except BaseException as error:
        # SQLAlchemy's own handling (it closes the cursor): wraps the driver's error in
        # sqlalchemy.exc and invalidates the connection when the database went away.
        connection._handle_dbapi_exception(error, sql, parameters, cursor, None)
        raise  # not reached: the handler raises
    cursor.close()
    return compiled.make_rows(raw) if compiled.row is not None else []


def first(connection: Connection, statement, params: dict):
    """The first row, or None."""
    found = rows(connection, statement, params)
    return found[0] if found else None


def scalar(connection: Connection, statement, params: dict):
    """The first column of the first row, or None."""
    found = rows(connection, statement, params)
    return found[0][0] if found else None


def execute(connection: Connection, statement, params: dict) -> None:
    """Run a statement whose rows are not needed (an UPDATE)."""
    rows(connection, statement, params)
