"""Builders and helpers shared by the catalog tests: events, tokens, Kafka publishing and draining."""

from __future__ import annotations

from decimal import Decimal

from crm_common.events.models import Price

# Re-exported: the generic helpers live in crm_testing (the plugin package), the tests import them from here.
from crm_testing import ACCOUNT as ACCOUNT
from crm_testing import BASE_TIME as BASE_TIME
from crm_testing import KID as KID
from crm_testing import TokenMint as TokenMint
from crm_testing import apply as apply
from crm_testing import assert_model_bytes as assert_model_bytes
from crm_testing import at as at
from crm_testing import deleted_event as deleted_event
from crm_testing import eventually as eventually
from crm_testing import folder_event as folder_event
from crm_testing import new_id as new_id
from crm_testing import plan as plan
from crm_testing import product_event as product_event
from crm_testing import publish as publish
from crm_testing import stale_statistics as stale_statistics
from crm_testing import variant_event as variant_event
from crm_testing import wait_drained as wait_drained


def price(amount: str, price_type: str = "Цена продажи") -> Price:
    return Price(price_type=price_type, amount=Decimal(amount))
