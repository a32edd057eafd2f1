"""The analytics base, its inbox and outbox, and the one place that loads every table into the metadata.

Tables fall in two groups. *Projection* tables are derived from the event log alone: a rebuild replays the topics
into fresh copies of them and swaps them in. *Store* tables hold what the log does not (alert acknowledgements,
the outbox, the inbox) and are never rebuilt.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import MetaData, Table
from sqlalchemy.ext.asyncio import AsyncSession

from crm_common.db import declarative_base, translated_schema
from crm_common.messaging.inbox import inbox_table
from crm_common.messaging.outbox import outbox_table

SCHEMA = "analytics"
# services/analytics: alembic.ini and migrations/ live there.
SERVICE_ROOT = Path(__file__).resolve().parents[2]

_DeclarativeBase = declarative_base(SCHEMA)


class Base(_DeclarativeBase):  # type: ignore[misc,valid-type]
    """Base of every analytics model (a named class, so type checkers can follow it)."""

    __abstract__ = True


inbox = inbox_table(Base.metadata)
outbox = outbox_table(Base.metadata)


def load_metadata() -> MetaData:
    """The metadata with every model registered (for migrations and tests)."""
    from analytics_service.alerts import models as _alerts  # noqa: F401
    from analytics_service.catalog import models as _catalog  # noqa: F401
    from analytics_service.checkpoints import models as _checkpoints  # noqa: F401
    from analytics_service.customers import models as _customers  # noqa: F401
    from analytics_service.customers.identity import models as _identity  # noqa: F401
    from analytics_service.funnel import models as _funnel  # noqa: F401
    from analytics_service.sales import models as _sales  # noqa: F401
    from analytics_service.stock import models as _stock  # noqa: F401

    return Base.metadata


PROJECTION_TABLE_NAMES = (
    "checkpoints",
    "products",
    "variants",
    "folders",
    "stores",
    "counterparties",
    "customer_keys",
    "customer_members",
    "documents",
    "sales_facts",
    "sales_daily_products",
    "sales_daily_customers",
    "sales_daily_documents",
    "sales_daily_totals",
    "sales_monthly_products",
    "sales_monthly_customers",
    "sales_customer_firsts",
    "stock_levels",
    "pipelines",
    "pipeline_stages",
    "deals",
    "deal_stages",
)


def projection_tables() -> list[Table]:
    metadata = load_metadata()
    return [metadata.tables[f"{SCHEMA}.{name}"] for name in PROJECTION_TABLE_NAMES]


def schema_of(session: AsyncSession) -> str:
    """The schema this session's projection tables live in: ``analytics``, or where a rebuild or benchmark maps it.

    Hand-written SQL (roll-up recomputes, COPY) names this schema; Core statements get it from the translate map.
    """
    return translated_schema(session, SCHEMA) or SCHEMA
