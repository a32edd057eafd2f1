"""crm_common.db.fetch: a SELECT built once, run by asyncpg on the session's connection, answers as the session does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    column,
    func,
    insert,
    literal,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from crm_common.db import ReadOnlyViolation, create_engine, fetch, read_only_sessions, session_factory
from crm_testing import test_database_url

SERIES = select(func.generate_series(1, bindparam("upto", type_=Integer)).label("n"))


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    engine = create_engine(test_database_url(), "public", pool_size=1)
    yield engine
    await engine.dispose()


async def test_rows_carry_the_values_the_session_reads(engine: AsyncEngine) -> None:
    plain = select(
        literal(Decimal("1499.90")).label("amount"),
        func.cast(literal('{"a": [1, "2"]}'), JSONB).label("doc"),
        func.array_position(bindparam("ids", type_=ARRAY(String)), "b").label("at"),
    )
    async with read_only_sessions(session_factory(engine))() as session:
        rows = await fetch(session, plain, {"ids": ["a", "b"]})
        expected = (await session.execute(plain, {"ids": ["a", "b"]})).one()
    assert [tuple(r) for r in rows] == [tuple(expected)] == [(Decimal("1499.90"), {"a": [1, "2"]}, 2)]
    assert rows[0]["doc"] == {"a": [1, "2"]}


async def test_the_statement_is_compiled_once_and_takes_new_values(engine: AsyncEngine) -> None:
    async with read_only_sessions(session_factory(engine))() as session:
        assert [r["n"] for r in await fetch(session, SERIES, {"upto": 2})] == [1, 2]
        assert [r["n"] for r in await fetch(session, SERIES, {"upto": 3})] == [1, 2, 3]


async def test_only_a_select_without_expanding_parameters_runs(engine: AsyncEngine) -> None:
    async with read_only_sessions(session_factory(engine))() as session:
        with pytest.raises(ReadOnlyViolation):
            await fetch(session, insert(table("anything", column("a"))).values(a=1))  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="ANY"):
            await fetch(session, select(column("n")).where(column("n").in_([1, 2])))


async def test_a_value_postgres_refuses_is_a_data_error_and_the_connection_serves_on(engine: AsyncEngine) -> None:
    nul = select(func.length(bindparam("text", type_=String)).label("n"))
    async with read_only_sessions(session_factory(engine))() as session:
        with pytest.raises(DataError):  # NUL in text: SQLSTATE 22021, answered 422 by crm_common.web.errors
            await fetch(session, nul, {"text": "a\x00b"})
        assert (await fetch(session, nul, {"text": "ab"}))[0]["n"] == 2


async def test_a_closed_connection_is_invalidated_and_the_next_session_gets_a_new_one(engine: AsyncEngine) -> None:
    sessions = read_only_sessions(session_factory(engine))
    async with sessions() as session:
        connection = await session.connection()
        driver = (await connection.get_raw_connection()).driver_connection
        await driver.close()
        with pytest.raises(DBAPIError) as raised:
            await fetch(session, SERIES, {"upto": 1})
        assert raised.value.connection_invalidated
    async with sessions() as session:
        assert [r["n"] for r in await fetch(session, SERIES, {"upto": 1})] == [1]


async def test_a_session_that_maps_a_schema_elsewhere_reads_the_mapped_tables(engine: AsyncEngine) -> None:
    """A rebuild's or a benchmark's session maps a service's schema to another; the same statement object, fetched
    on both kinds of session, reads each one's own table."""
    marker = Table("fetch_marker", MetaData(), Column("what", String), schema="fetch_home")
    statement = select(marker.c.what)
    async with engine.begin() as conn:
        for schema in ("fetch_home", "fetch_elsewhere"):
            await conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            await conn.execute(text(f"CREATE SCHEMA {schema}"))
            await conn.execute(text(f"CREATE TABLE {schema}.fetch_marker (what text)"))
            await conn.execute(text(f"INSERT INTO {schema}.fetch_marker VALUES ('{schema}')"))
    mapped = engine.execution_options(schema_translate_map={"fetch_home": "fetch_elsewhere"})
    try:
        for _ in range(2):  # compiled once per schema map, each used again
            async with read_only_sessions(session_factory(engine))() as session:
                assert [r["what"] for r in await fetch(session, statement)] == ["fetch_home"]
            async with read_only_sessions(session_factory(mapped))() as session:
                assert [r["what"] for r in await fetch(session, statement)] == ["fetch_elsewhere"]
    finally:
        async with engine.begin() as conn:
            for schema in ("fetch_home", "fetch_elsewhere"):
                await conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
