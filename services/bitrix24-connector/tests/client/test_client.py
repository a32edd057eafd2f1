"""The Bitrix24 client over real HTTP against the simulator: batch, the fast path, the leaky bucket, 503s and the
method-time limit."""

from __future__ import annotations

import time

import pytest
from b24_testkit import portal, set_faults, sim_stats
from prometheus_client import REGISTRY

from bitrix24_connector.client import Bitrix24Client, Bitrix24Error, Bitrix24Unavailable, PacingConfig
from bitrix24_connector.client.http import command, php_query

FAST = PacingConfig(backoff_base_seconds=0.02, backoff_max_seconds=0.2)
# Every call is charged 5 s against a 4 s budget over a 3 s window: a method's second call within 3 s is refused.
TIGHT_OPERATING: dict[str, object] = {
    "rate_limits_enabled": False,
    "operating_limit_seconds": 4,
    "operating_window_seconds": 3,
    "operating_seconds_per_call": 5,
}


def operating_held(method: str) -> float:
    """Calls of ``method`` the client held for its time budget so far (``crm_bitrix24_operating_held_total``)."""
    return REGISTRY.get_sample_value("crm_bitrix24_operating_held_total", {"method": method}) or 0.0


def test_parameters_are_encoded_as_php_builds_them() -> None:
    pairs = php_query({"filter": {">ID": 5, "@ENTITY_ID": ["1", "2"]}, "select": ["ID"], "start": -1})
    assert pairs == [
        ("filter[>ID]", "5"),
        ("filter[@ENTITY_ID][0]", "1"),
        ("filter[@ENTITY_ID][1]", "2"),
        ("select[0]", "ID"),
        ("start", "-1"),
    ]
    assert command("crm.deal.productrows.get", {"id": 7}) == "crm.deal.productrows.get?id=7"


async def test_walk_pages_by_id_without_counting_and_batch_answers_per_key() -> None:
    with portal(rate_limits_enabled=False) as sim:
        async with Bitrix24Client(sim.webhook_url, FAST) as client:
            ids = [row["ID"] async for page in client.walk("crm.deal.list", select=["ID"]) for row in page]
            answer = await client.batch(
                {"a": ("crm.deal.productrows.get", {"id": ids[0]}), "b": ("crm.deal.get", {"id": 999999})}
            )
    assert ids == [d["ID"] for d in sim.portal.records("deal")]
    assert len(answer.results["a"]) == len(sim.portal.rows_of("D", int(ids[0])))
    assert answer.errors["b"].description == "Not found"


async def test_the_client_stays_under_the_leaky_bucket_and_gets_no_503() -> None:
    with portal() as sim:  # 2 requests/s drained, refused at 50
        pacing = PacingConfig(drain_per_second=2.0, burst=50, share=0.9)
        started = time.monotonic()
        async with Bitrix24Client(sim.webhook_url, pacing) as client:
            for _ in range(50):
                await client.call("crm.category.list", {"entityTypeId": 2})
        elapsed = time.monotonic() - started
        stats = sim_stats(sim)
    assert stats["by_method"]["crm.category.list"] == {"200": 50}
    # 45 go at once (our 90% of the burst); the other 5 wait for 0.9 × 2 requests/s.
    assert 2.0 < elapsed < 6.0


async def test_503_query_limit_exceeded_is_retried_until_it_passes() -> None:
    with portal(rate_limits_enabled=False) as sim:
        set_faults(sim, storm_503_probability=0.6)
        async with Bitrix24Client(
            sim.webhook_url, PacingConfig(max_retries=30, backoff_base_seconds=0.01, backoff_max_seconds=0.05)
        ) as client:
            for _ in range(5):
                await client.call("crm.category.list", {"entityTypeId": 2})
        stats = sim_stats(sim)
    assert stats["by_method"]["crm.category.list"]["200"] == 5
    assert stats["by_method"]["crm.category.list"]["503"] > 0


async def test_retries_run_out_into_unavailable() -> None:
    with portal(rate_limits_enabled=False) as sim:
        set_faults(sim, storm_503_probability=1.0)
        async with Bitrix24Client(sim.webhook_url, PacingConfig(max_retries=2, backoff_base_seconds=0.01)) as client:
            with pytest.raises(Bitrix24Unavailable, match="QUERY_LIMIT_EXCEEDED"):
                await client.call("crm.category.list", {"entityTypeId": 2})


async def test_a_method_error_is_raised_at_once() -> None:
    with portal(rate_limits_enabled=False) as sim:
        async with Bitrix24Client(sim.webhook_url, FAST) as client:
            with pytest.raises(Bitrix24Error, match="Not found"):
                await client.call("crm.deal.get", {"id": 999999})
        stats = sim_stats(sim)
    assert stats["by_method"]["crm.deal.get"] == {"400": 1}


async def test_the_operating_limit_holds_that_method_until_its_reset_and_not_the_others() -> None:
    # Every call is charged 5 s against a 4 s budget over a 3 s window: the second call of a method is refused with
    # 429 until the first call's basket leaves the window (operating_reset_at).
    with portal(**TIGHT_OPERATING) as sim:
        held_before = operating_held("crm.contact.list")
        async with Bitrix24Client(sim.webhook_url, FAST) as client:
            await client.call("crm.contact.list", {"select": ["ID"]})
            started = time.monotonic()
            await client.call("crm.company.list", {"select": ["ID"]})  # another method is not held
            other = time.monotonic() - started
            await client.call("crm.contact.list", {"select": ["ID"]})
            held = time.monotonic() - started
        stats = sim_stats(sim)
    assert stats["by_method"]["crm.contact.list"] == {"200": 2, "429": 1}
    assert operating_held("crm.contact.list") - held_before == 1
    assert other < 0.5
    assert held >= 1.0


async def test_clients_of_one_portal_share_its_bucket_and_do_not_each_start_full() -> None:
    with portal() as sim:
        pacing = PacingConfig(drain_per_second=2.0, burst=50, share=0.9)
        for _ in range(3):  # three jobs in a row, 20 calls each: 60 calls, more than the burst
            async with Bitrix24Client(sim.webhook_url, pacing) as client:
                for _ in range(20):
                    await client.call("crm.category.list", {"entityTypeId": 2})
        stats = sim_stats(sim)
    assert stats["by_method"]["crm.category.list"] == {"200": 60}


async def test_a_nested_call_refused_for_its_method_time_is_sent_again_after_the_reset() -> None:
    # Each call is charged 5 s against a 4 s budget over 3 s: in one batch the second productrows.get is refused
    # (the outer batch is not counted, each nested call is, under its own method).
    with portal(**TIGHT_OPERATING) as sim:
        deals = [d["ID"] for d in sim.portal.records("deal")[:2]]
        held_before = operating_held("crm.deal.productrows.get")
        async with Bitrix24Client(sim.webhook_url, FAST) as client:
            answer = await client.batch({f"r{i}": ("crm.deal.productrows.get", {"id": i}) for i in deals})
        stats = sim_stats(sim)
    assert answer.errors == {}
    assert set(answer.results) == {f"r{i}" for i in deals}
    assert stats["by_method"]["batch"] == {"200": 2}  # the first, then the refused call alone
    assert operating_held("crm.deal.productrows.get") - held_before == 1  # counted where operators see it
