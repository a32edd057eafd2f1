"""Applying projection events a batch at a time: the one path the live consumer, a rebuild and the tests share.

Each event is first validated into the versioned row it would write (an event that can never apply raises there,
alone); then every table gets one set-based write for the whole batch. Tables are independent and every row is
version-guarded, so writing table by table gives the same state as applying the events one at a time in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.catalog import projection as catalog
from analytics_service.catalog.models import FolderDim, ProductDim, StoreDim, VariantDim
from analytics_service.checkpoints.repository import advance, advances_at_the_end, latest_moment
from analytics_service.customers import projection as customers
from analytics_service.customers.identity import projection as identity
from analytics_service.customers.models import CounterpartyDim
from analytics_service.funnel import projection as funnel
from analytics_service.sales import projection as sales
from analytics_service.sales.facts import SALES_TOPIC_KINDS
from analytics_service.settings import AnalyticsSettings
from analytics_service.stock import projection as stock
from analytics_service.stock.models import StockLevelRow
from crm_common.events import topics
from crm_common.events.envelope import EventEnvelope
from crm_common.versioned import Versioned, write_versions

# The topics the projections are built from: the live consumer subscribes to them, a rebuild replays them.
PROJECTION_TOPICS = (
    topics.SALES,
    topics.PRODUCTS,
    topics.VARIANTS,
    topics.FOLDERS,
    topics.STORES,
    topics.COUNTERPARTIES,
    topics.STOCK,
    topics.PIPELINES,
    topics.DEALS,
)
DOCUMENTS = "documents"
PIPELINES = "pipelines"  # with their stages
DEALS = "deals"  # with their stage history
Prepared = tuple[str, Versioned]  # (target, row)


def _table(model: Any) -> Table:
    return model.__table__


async def apply_versioned(session: AsyncSession, table: Table, projection: str, items: Sequence[Versioned]) -> int:
    """Apply a batch of one table's versioned rows and move its projection's checkpoint; returns rows changed."""
    written = await write_versions(session, table, items)
    if written.final:
        moment = latest_moment(written.reduced.final[k] for k in written.final)
        await advance(session, projection, moment, steps=len(written.final))
    return len(written.final)


class ProjectionBatch:
    def __init__(self, settings: AnalyticsSettings) -> None:
        self.zone = zone = settings.zone
        price = settings.sale_price_type
        self.tables: dict[str, tuple[Table, str]] = {
            "products": (_table(ProductDim), catalog.PROJECTION),
            "variants": (_table(VariantDim), catalog.PROJECTION),
            "folders": (_table(FolderDim), catalog.PROJECTION),
            "stores": (_table(StoreDim), catalog.PROJECTION),
            "counterparties": (_table(CounterpartyDim), customers.PROJECTION),
            "stock_levels": (_table(StockLevelRow), stock.PROJECTION),
        }
        self.routes: dict[str, tuple[str, Callable[[EventEnvelope], Versioned]]] = {
            "product.upserted": ("products", lambda e: catalog.prepare_product(e, price)),
            "product.deleted": ("products", catalog.prepare_deleted),
            "variant.upserted": ("variants", lambda e: catalog.prepare_variant(e, price)),
            "variant.deleted": ("variants", catalog.prepare_deleted),
            "folder.upserted": ("folders", catalog.prepare_folder),
            "folder.deleted": ("folders", catalog.prepare_deleted),
            "store.upserted": ("stores", catalog.prepare_store),
            "store.deleted": ("stores", catalog.prepare_deleted),
            "counterparty.upserted": ("counterparties", customers.prepare_counterparty),
            "counterparty.deleted": ("counterparties", customers.prepare_counterparty_deleted),
            "stock.changed": ("stock_levels", stock.prepare_stock),
            "pipeline.upserted": (PIPELINES, funnel.prepare_pipeline),
            "pipeline.deleted": (PIPELINES, funnel.prepare_deleted),
            "deal.upserted": (DEALS, funnel.prepare_deal),
            "deal.deleted": (DEALS, funnel.prepare_deleted),
        }
        # The targets are written in this order whatever the batch's, and the checkpoints after all of them (in
        # projection order): two transactions side by side (lanes of a batch, replicas) take their locks in the same
        # order and never wait on each other in a circle. Documents last: the sales rollups' lock, which every
        # document batch takes, is then held from there to the commit, not while the other targets are written.
        self.order = (*self.tables, PIPELINES, DEALS, DOCUMENTS)
        for kind in SALES_TOPIC_KINDS:
            self.routes[f"{kind.value}.upserted"] = (DOCUMENTS, lambda e: sales.prepare_document(e, zone))
            self.routes[f"{kind.value}.deleted"] = (DOCUMENTS, sales.prepare_document_deleted)

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(self.routes)

    def prepare(self, event: EventEnvelope) -> Prepared:
        """Validate one event; raises (ValidationError, PoisonEvent, KeyError) for an event that can never apply."""
        target, prepare = self.routes[event.event_type]
        return target, prepare(event)

    async def apply_prepared(self, session: AsyncSession, prepared: Iterable[Prepared]) -> int:
        """Write prepared events (in Kafka order); returns how many rows changed."""
        by_target: dict[str, list[Versioned]] = {target: [] for target in self.order}
        for target, item in prepared:
            by_target[target].append(item)
        changed = 0
        async with advances_at_the_end(session):
            for target, items in by_target.items():
                if not items:
                    continue
                if target == DOCUMENTS:
                    changed += await sales.apply_prepared(session, items, self.zone)
                elif target == PIPELINES:
                    changed += await funnel.apply_pipelines(session, items)
                elif target == DEALS:
                    changed += await funnel.apply_deals(session, items)
                else:
                    table, projection = self.tables[target]
                    changed += await apply_versioned(session, table, projection, items)
                    if target == "counterparties":  # which customer each belongs to follows its keys
                        await identity.refresh(session, {str(item.key) for item in items})
        return changed

    async def __call__(self, session: AsyncSession, events: list[EventEnvelope]) -> None:
        await self.apply_prepared(session, [self.prepare(e) for e in events])
