"""Async SQLAlchemy bound to one service's own Postgres schema.

Every connection of a service sets ``search_path`` to its schema, so its tables are found unqualified and no
service can read another's tables by accident. The request scope or the consumer handler owns the transaction:
repositories and use cases take the session and never commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import MetaData, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

from crm_common.errors import InfrastructureMissing

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


def create_engine(url: str, schema: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    """An engine whose connections see ``schema`` first (then ``public`` for extensions)."""
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
        echo=echo,
        connect_args={"server_settings": {"search_path": f"{schema},public", "application_name": schema}},
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit if the block succeeds, roll back if it raises."""
    async with sessions() as session, session.begin():
        yield session


async def check_database(engine: AsyncEngine) -> None:
    """Raise ``InfrastructureMissing`` naming the server if Postgres does not answer."""
    try:
        async with engine.connect() as conn:
            await conn.execute(text("select 1"))
    except Exception as exc:
        where = engine.url.render_as_string(hide_password=True)
        raise InfrastructureMissing("PostgreSQL", where, f"{type(exc).__name__}: {exc}") from exc
