"""A full sync stopped midway resumes after the last published page instead of starting over."""

from __future__ import annotations

import asyncio

from b24_testkit import portal, portal_events, register, set_faults
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bitrix24_connector.settings import ConnectorSettings
from bitrix24_connector.sync.service import SyncService
from bitrix24_connector.tables import TABLES
from crm_common.db import transaction
from crm_common.events.topics import DEALS


async def test_a_stopped_full_sync_resumes_where_it_stopped(
    service: SyncService, sessions: async_sessionmaker[AsyncSession], settings: ConnectorSettings
) -> None:
    with portal(scale="demo", seed=5, rate_limits_enabled=False) as sim:
        integration = await register(sessions, settings, sim)
        set_faults(sim, latency_ms=40)
        job = await service.start(integration, "full", "test")
        for _ in range(400):  # until some deal pages are out
            async with transaction(sessions) as session:
                walked = await TABLES.cursors(session).get(integration, "deal.walk")
            if walked.last_id and int(walked.last_id) >= 150:
                break
            await asyncio.sleep(0.05)
        await service.stop()
        set_faults(sim, latency_ms=0)
        async with transaction(sessions) as session:
            stopped = await TABLES.jobs(session).get(job.id)
        resumed = await service.run(integration, "resume", "test")
        deals = await portal_events(DEALS.name, sim)
    total = len(sim.portal.records("deal"))
    assert stopped is not None
    assert stopped.status == "interrupted"
    assert resumed.status == "succeeded", resumed.detail
    assert 0 < resumed.counts["deal"] <= total - 150
    assert {e.entity_id for e in deals} == {d["ID"] for d in sim.portal.records("deal")}
    assert stopped.counts.get("deal", 0) + resumed.counts["deal"] == total
