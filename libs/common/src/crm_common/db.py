"""Async SQLAlchemy bound to one service's own Postgres schema.

Every connection of a service sets ``search_path`` to its schema, so its tables are found unqualified and no
service can read another's tables by accident. The request scope or the consumer handler owns the transaction:
repositories and use cases take the session and never commit.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar
from weakref import WeakKeyDictionary

import asyncpg
import orjson
from asyncpg.exceptions._base import DataError as AsyncpgDataError
from sqlalchemy import Column, CompoundSelect, MetaData, Select, bindparam, event, func, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DataError, DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

from crm_common.errors import InfrastructureMissing

if TYPE_CHECKING:
    from crm_common.settings import ServiceSettings

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def declarative_base(schema: str) -> type[DeclarativeBase]:
    """A declarative base whose tables all live in ``schema``."""

    class Base(DeclarativeBase):
        metadata = MetaData(schema=schema, naming_convention=NAMING_CONVENTION)

    return Base


def async_url(url: str) -> str:
    """Accept ``postgresql://`` / ``postgres://`` URLs as well and use the asyncpg driver."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    if parsed.drivername in ("postgresql", "postgresql+psycopg2", "postgresql+psycopg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


# A pooled connection that came back less than this long ago is handed out without a ping. Under load that is almost
# every checkout, and the ping (BEGIN, a query, ROLLBACK through the asyncpg adapter) was three of a short read's
# round trips (py-spy on bench/read_ceiling.py found it in every request). A connection idle for longer is still
# pinged, and replaced if dead; one used within the second before a Postgres restart fails its next query once, and
# SQLAlchemy then renews the whole pool.
PING_AFTER_IDLE_SECONDS = 1.0


def create_engine(
    url: str,
    schema: str,
    *,
    pool_size: int = 10,
    max_overflow: int | None = None,
    echo: bool = False,
    ping_after_idle: float = PING_AFTER_IDLE_SECONDS,
    jit: bool = False,
) -> AsyncEngine:
    """An engine whose connections see ``schema`` first (then ``public`` for extensions); up to ``pool_size``
    connections are kept, ``max_overflow`` more (default as many) are opened under load and closed when returned.

    Its connections run without PostgreSQL's JIT compilation unless ``jit``: PostgreSQL compiles a statement whose
    estimated cost passes ``jit_above_cost``, and with inlining and optimization that took ~220 ms for a statement
    that runs in 21 ms. Estimates are most wrong while tables grow fast (a first sync, statistics not yet
    refreshed): inventory's low-stock re-read of a batch was compiled 30 times in one drain, 7.6 s of it
    (docs/operations.md, "No JIT compilation"). The services' statements are short; none gains from it.
    """
    engine = create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=pool_size if max_overflow is None else max_overflow,
        pool_recycle=1800,
        echo=echo,
        json_deserializer=orjson.loads,  # jsonb columns: the stdlib decoder was 13% of a product list's CPU
        connect_args={
            "server_settings": {
                "search_path": f"{schema},public",
                "application_name": schema,
                **({} if jit else {"jit": "off"}),
            }
        },
    )
    _ping_when_idle(engine, ping_after_idle)
    return engine


def _ping_when_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """Ping a pooled connection on checkout only if it sat idle ``idle_seconds`` or more; a dead one is replaced.

    Raising ``DisconnectionError`` from a checkout listener makes the pool discard that connection and hand out
    another (SQLAlchemy, "Disconnect Handling - Pessimistic", custom ping).
    """
    pool = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect

    @event.listens_for(pool, "checkin")
    def returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def handed_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned_at = record.info.get("returned_at")
        if returned_at is None or time.monotonic() - returned_at < idle_seconds:
            return  # just opened, or in use a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:  # whatever the ping hit, a fresh connection settles it (or fails to connect)
            raise DisconnectionError("pooled connection found dead on checkout") from exc


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


class ReadOnlyViolation(RuntimeError):
    pass


# A read's connection or session: ``reading``'s pooled connection, or a session (a read-only one, or a unit of work's
# when a write path reads). Both run Core statements (``execute``, ``scalar``) and ``fetch``.
Reads = AsyncSession | AsyncConnection


def session_of(reads: Reads) -> AsyncSession:
    """``reads`` as the session it must be where a session is needed (ORM objects loaded, a unit of work's writes);
    ``reading``'s connection is refused there."""
    if not isinstance(reads, AsyncSession):
        raise ReadOnlyViolation("this needs a session (ORM objects or a unit of work), not a read-only connection")
    return reads


_READ_ONLY_ENGINES: WeakKeyDictionary[AsyncEngine, AsyncEngine] = WeakKeyDictionary()


def read_only_engine(engine: AsyncEngine) -> AsyncEngine:
    """``engine`` (same pool) with every statement on its own and anything but a SELECT refused; made once per engine.

    A read that runs its statements in one READ COMMITTED transaction gets nothing from it (each statement takes its
    own snapshot anyway), and pays a BEGIN and a ROLLBACK round trip per request, and the server's work for them.
    Since nothing is rolled back any more, a write on such a connection must fail rather than commit on its own: the
    check is the engine's (``before_execute``), so it holds for its sessions (their flushes too) and its connections.
    """
    found = _READ_ONLY_ENGINES.get(engine)
    if found is None:
        found = engine.execution_options(isolation_level="AUTOCOMMIT")

        @event.listens_for(found.sync_engine, "before_execute")
        def _only_selects(_conn: Any, statement: Any, *_args: Any) -> None:
            if not getattr(statement, "is_select", False):
                raise ReadOnlyViolation(f"a read-only connection cannot run {type(statement).__name__}")

        _READ_ONLY_ENGINES[engine] = found
    return found


_READ_ONLY: WeakKeyDictionary[async_sessionmaker[AsyncSession], async_sessionmaker[AsyncSession]] = WeakKeyDictionary()


def read_only_sessions(sessions: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    """Sessions of ``read_only_engine`` on the engine and pool of ``sessions`` (made once per factory), for reads
    that load ORM objects; a read of Core statements takes ``reading``'s connection."""
    found = _READ_ONLY.get(sessions)
    if found is None:
        engine: AsyncEngine = sessions.kw["bind"]
        found = async_sessionmaker(read_only_engine(engine), expire_on_commit=False, autoflush=False)
        _READ_ONLY[sessions] = found
    return found


def given_rows(*columns: Column[Any]) -> Any:
    """Rows travelling as one array parameter per column, bound by the column's name (``{name: [values]}``), as a
    FROM item named ``given`` with those columns: ``insert(t).from_select(names, select(*given_rows(...).c))``.

    The statement's text is the same whatever the number of rows, so SQLAlchemy compiles it once and PostgreSQL
    prepares it once; ``insert(t).values([...])`` compiles a statement with a placeholder per value on every call
    (a fifth of the connector's CPU during a large first sync, most of it for the ledger and the stock digests)."""
    arrays = (bindparam(c.name, type_=ARRAY(c.type)) for c in columns)
    return func.unnest(*arrays).table_valued(*(c.name for c in columns)).render_derived(name="given")


def like_pattern(text: str) -> str:
    """``%text%`` with LIKE's own wildcards escaped (match it with ``escape="\\\\"``), so a user's `%` or `_` matches
    itself."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# Compiled SQL of the statements ``fetch`` ran, by statement object (kept alive here, so its id stays its own).
# Bounded: statements are built once, per module or per query shape.
_COMPILED: dict[tuple[int, tuple[Any, ...]], tuple[Any, str, tuple[str, ...], dict[str, Any]]] = {}


async def fetch(
    reads: Reads, statement: Select[Any] | CompoundSelect[Any], params: Mapping[str, Any] | None = None
) -> list[Any]:
    """The rows of a SELECT built once (bind parameters by name, ``= ANY(:ids)`` rather than an expanding ``IN``),
    run on the connection (or the session's own) by asyncpg itself: ``asyncpg.Record`` rows, read by column name.

    Compiled once per statement object, then each call is one driver round trip (docs/architecture.md, "API
    conventions"). Through the session instead, every statement paid SQLAlchemy's statement handling, execution
    context and result wrapping: measured in one process (issue #16), a two-statement read cost 0.58 ms of CPU that
    way and 0.35 ms this way (raw asyncpg: 0.25 ms), on a read endpoint of 1.5-3 ms.
    What the session would do is kept: only a SELECT runs (as on a read-only connection, above), jsonb arrives
    decoded (the engine's codec), and a database error is raised as SQLAlchemy's ``DataError`` or ``DBAPIError``
    around the driver's, so the error handlers answer as they did (a value Postgres refuses is a 422); a connection
    found closed is invalidated, so the pool replaces it.
    """
    if not isinstance(statement, Select | CompoundSelect):
        raise ReadOnlyViolation(f"fetch runs only a SELECT, not {type(statement).__name__}")
    connection = reads if isinstance(reads, AsyncConnection) else await reads.connection()
    options = connection.sync_connection.get_execution_options() if connection.sync_connection else {}
    sql, names, defaults = _compiled(statement, connection.dialect, options.get("schema_translate_map"))
    values = {**defaults, **params} if params else defaults
    args = [values[name] for name in names]
    driver = await _driver(connection)
    try:
        return list(await driver.fetch(sql, *args))
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
        closed = driver.is_closed()
        if closed:
            await connection.invalidate(exc)
        # A value Postgres refuses as data (SQLSTATE class 22) or one asyncpg cannot encode (an integer beyond
        # bigint): SQLAlchemy's DataError, as the session raised it, which the error handlers answer with a 422.
        sqlstate = str(getattr(exc, "sqlstate", None) or "")
        refused = sqlstate.startswith("22") or isinstance(exc, asyncpg.DataError | AsyncpgDataError)
        raise (DataError if refused else DBAPIError)(sql, args, exc, connection_invalidated=closed) from exc


async def _driver(connection: AsyncConnection) -> Any:
    """The asyncpg connection under ``connection``. Checked out and valid, it is there to take: SQLAlchemy's property
    hands it back without I/O. ``get_raw_connection`` would run that same property in a greenlet of its own, which
    cost ~37 µs a statement, a quarter of a one-page fetch's CPU, measured in one process (issue #16); an invalidated
    connection still goes that way, where SQLAlchemy may reconnect."""
    sync = connection.sync_connection
    if sync is not None and not sync.closed and not sync.invalidated:
        driver = sync.connection.driver_connection
    else:
        driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    return driver


def _compiled(
    statement: Any, dialect: Dialect, translate: Mapping[str | None, str | None] | None = None
) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """The SQL, parameter names and defaults of ``statement``, compiled once per statement and schema map (a
    rebuild's or a benchmark's session maps a service's schema elsewhere; the names are written into the SQL)."""
    key = (id(statement), tuple(sorted((translate or {}).items(), key=repr)))
    found = _COMPILED.get(key)
    if found is None or found[0] is not statement:
        if translate:
            compiled = statement.compile(dialect=dialect, schema_translate_map=translate, render_schema_translate=True)
        else:
            compiled = statement.compile(dialect=dialect)
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("fetch needs a statement without expanding parameters (use = ANY(:ids), not IN)")
        found = (statement, compiled.string, tuple(compiled.positiontup or ()), dict(compiled.params))
        if len(_COMPILED) >= 1_000:
            _COMPILED.clear()
        _COMPILED[key] = found
    return found[1], found[2], found[3]


@asynccontextmanager
async def reading(request: Any) -> AsyncIterator[AsyncConnection]:
    """A read-only connection (``read_only_engine``) from the pool of the app's ``state.sessions``, opened by a route
    itself: ``async with reading(request) as connection``.

    A connection rather than a session: the read routes run Core statements (``fetch``, ``execute``) and load no ORM
    object, and a session's transaction bookkeeping around its connection cost ~0.15 ms a request, a sixth of a store
    list's CPU, measured in one process (issue #16). Opened by the route rather than as a generator dependency, whose
    handling by FastAPI cost about as much again (docs/architecture.md, "API conventions")."""
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    async with read_only_engine(sessions.kw["bind"]).connect() as connection:
        yield connection


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit if the block succeeds, roll back if it raises."""
    async with sessions() as session, session.begin():
        yield session


def run_in_transaction(settings: ServiceSettings, schema: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """A command's ``work`` (``crm-<svc> <command>``, ``migrate``'s after-step) in one committed transaction, on a
    short-lived engine set as the service's own are (``DB_JIT``), from synchronous code."""

    async def run() -> T:
        engine = create_engine(settings.database_url, schema, pool_size=1, jit=settings.db_jit)
        try:
            async with transaction(session_factory(engine)) as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


async def check_database(engine: AsyncEngine) -> None:
    """Raise ``InfrastructureMissing`` naming the server if Postgres does not answer."""
    try:
        async with engine.connect() as conn:
            await conn.execute(text("select 1"))
    except Exception as exc:
        where = engine.url.render_as_string(hide_password=True)
        raise InfrastructureMissing("PostgreSQL", where, f"{type(exc).__name__}: {exc}") from exc


def translated_schema(session: AsyncSession, schema: str | None) -> str | None:
    """Where ``schema``'s tables live for this session (a rebuild or a benchmark may map it elsewhere).

    Core statements get that from the translate map; hand-written SQL names the schema itself.
    """
    bind = session.bind
    options: Mapping[str, Any]
    if isinstance(bind, AsyncEngine):
        options = bind.get_execution_options()
    elif isinstance(bind, AsyncConnection):
        options = bind.sync_connection.get_execution_options() if bind.sync_connection else {}
    else:
        options = {}
    translate = options.get("schema_translate_map") or {}
    return translate.get(schema, schema)
