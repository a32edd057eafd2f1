"""Topics, named by canonical entity and contract version (never by source), and what travels on each.

All topics are keyed by ``entity_id`` so one entity's events stay in order. Entity-state topics are compacted so a
new consumer can bootstrap from them; stream topics (alerts, dead letters) are kept by time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from pydantic import BaseModel

from crm_common.events import models as m


def topic_prefix() -> str:
    """``KAFKA_TOPIC_PREFIX`` lets several deployments (or test runs) share one cluster without meeting."""
    return os.environ.get("KAFKA_TOPIC_PREFIX", "")


DEFAULT_PARTITIONS = 12
# The largest record batch, as it travels (compressed), a topic accepts. Kafka's default is 1 MB, and one MoySklad
# document with tens of thousands of positions is several MB of JSON (a supply of the `medium` shop: 4.4 MB).
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
# The largest event our producers send, as JSON before compression (the producer checks this size, the broker the
# compressed batch against MAX_MESSAGE_BYTES). Events travel zstd-compressed: a document's positions compress about
# 4.4-fold (an initial-stock supply of 148,000 positions: 43 MB of JSON, 9.8 MB compressed), so documents of up to
# about 240,000 positions fit. An event larger than either limit is not published: the connector records it as a
# skipped object an admin can see (docs/operations.md, "Message size").
MAX_EVENT_BYTES = 96 * 1024 * 1024
COMPRESSION = "zstd"


def partition_count() -> int:
    """``KAFKA_TOPIC_PARTITIONS``: partitions of a topic when it is created (existing topics are left as they are).

    A consumer group spreads a topic's partitions over its members, so this is the most replicas of one consuming
    service that can share the work (docs/operations.md, "Scaling").
    """
    raw = os.environ.get("KAFKA_TOPIC_PARTITIONS", "")
    if not raw.strip():
        return DEFAULT_PARTITIONS
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"KAFKA_TOPIC_PARTITIONS must be a whole number of at least 1, not {raw!r}")
    return value


@dataclass(frozen=True)
class Topic:
    base_name: str
    description: str
    events: dict[str, type[BaseModel]] = field(default_factory=dict)
    compacted: bool = True
    partitions: int | None = None  # None: the deployment's KAFKA_TOPIC_PARTITIONS

    @property
    def name(self) -> str:
        return topic_prefix() + self.base_name


def _state(entity: str, model: type[BaseModel]) -> dict[str, type[BaseModel]]:
    return {f"{entity}.upserted": model, f"{entity}.deleted": m.Deleted}


def _documents(*kinds: m.DocumentKind) -> dict[str, type[BaseModel]]:
    events: dict[str, type[BaseModel]] = {}
    for kind in kinds:
        events |= _state(kind.value, m.Document)
    return events


FOLDERS = Topic("catalog.folders.v1", "Product folders (groups) and their tree.", _state("folder", m.Folder))
PRODUCTS = Topic("catalog.products.v1", "Products, services and bundles.", _state("product", m.Product))
VARIANTS = Topic("catalog.variants.v1", "Variants (modifications) of products.", _state("variant", m.Variant))
STORES = Topic("inventory.stores.v1", "Stores (warehouses).", _state("store", m.Store))
STOCK = Topic(
    "inventory.stock.v1",
    "Stock of one product or variant in one store, keyed `<assortment_id>:<store_id>`.",
    {"stock.changed": m.StockLevel},
)
COUNTERPARTIES = Topic("crm.counterparties.v1", "Customers and suppliers.", _state("counterparty", m.Counterparty))
ORGANIZATIONS = Topic(
    "crm.organizations.v1", "The business's own legal entities.", _state("organization", m.Organization)
)
PIPELINES = Topic(
    "crm.pipelines.v1", "Sales pipelines (deal categories) with their stages.", _state("pipeline", m.Pipeline)
)
DEALS = Topic("crm.deals.v1", "Deals of the sales pipelines: the funnel, not revenue.", _state("deal", m.Deal))
SALES = Topic(
    "sales.documents.v1",
    "Customer orders, shipments, retail sales, sales returns and retail returns with their positions.",
    _documents(
        m.DocumentKind.CUSTOMER_ORDER,
        m.DocumentKind.SHIPMENT,
        m.DocumentKind.RETAIL_SALE,
        m.DocumentKind.SALES_RETURN,
        m.DocumentKind.RETAIL_RETURN,
    ),
)
PURCHASES = Topic(
    "purchasing.documents.v1",
    "Supplies and purchase orders with their positions.",
    _documents(m.DocumentKind.SUPPLY, m.DocumentKind.PURCHASE_ORDER),
)
ALERTS = Topic(
    "alerts.v1",
    "Alerts raised and cleared by services (low stock, sync failures, revenue drops).",
    {"alert.raised": m.Alert, "alert.cleared": m.Alert},
    compacted=False,
)
SYNC = Topic(
    "integrations.sync.v1",
    "Sync job outcomes of integrations.",
    {"sync.completed": m.SyncStatus, "sync.failed": m.SyncStatus},
    compacted=False,
)
DEAD_LETTER = Topic(
    "deadletter.v1",
    "Messages a consumer could not apply, with the reason, the original topic, partition, offset and raw bytes.",
    {},
    compacted=False,
)

TOPICS: tuple[Topic, ...] = (
    FOLDERS,
    PRODUCTS,
    VARIANTS,
    STORES,
    STOCK,
    COUNTERPARTIES,
    ORGANIZATIONS,
    PIPELINES,
    DEALS,
    SALES,
    PURCHASES,
    ALERTS,
    SYNC,
    DEAD_LETTER,
)

EVENT_TOPIC: dict[str, Topic] = {event: topic for topic in TOPICS for event in topic.events}


def topic_for(event_type: str) -> Topic:
    try:
        return EVENT_TOPIC[event_type]
    except KeyError:
        raise KeyError(f"no topic carries event type {event_type!r}") from None


def payload_model(event_type: str) -> type[BaseModel]:
    return topic_for(event_type).events[event_type]
