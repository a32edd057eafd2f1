"""What ``crm-inventory`` does besides serving: the step after ``migrate``."""

from __future__ import annotations

from crm_common.db import run_in_transaction
from inventory_service.db import SCHEMA
from inventory_service.settings import InventorySettings
from inventory_service.stock.repository import StockRepository


def copy_catalog_everywhere(settings: InventorySettings) -> None:
    """After ``migrate``: every stock row's copy of its item's and product's columns is up to date. The consumer
    keeps them so; a previous release's consumer, still running while a migration that added them rolls out, does
    not, and running ``migrate`` again once the new release is up mends what it wrote (docs/operations.md,
    "Migrations")."""
    changed = run_in_transaction(settings, SCHEMA, lambda session: StockRepository(session).copy_catalog_everywhere())
    print(f"inventory schema migrated; stock rows whose copy of the catalog was behind: {changed}")
