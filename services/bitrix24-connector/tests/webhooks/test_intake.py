"""``POST /api/v1/integrations/bitrix24/webhook``: the portal's own outbound events reach the intake, are checked
against the handler token and the application token, recorded once and turned into hints."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from b24_testkit import connector_settings, portal, rest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bitrix24_connector.client import Bitrix24Client
from bitrix24_connector.integrations import service as integrations
from bitrix24_connector.settings import ConnectorSettings
from bitrix24_connector.tables import WebhookReceipt
from bitrix24_connector.webhooks.api import hint_types
from bitrix24_connector.webhooks.registration import EVENTS, ensure_bindings
from bitrix24_connector.webhooks.tokens import handler_url
from crm_common.db import transaction

PATH = "/api/v1/integrations/bitrix24/webhook"


async def receipts(sessions: async_sessionmaker[AsyncSession], integration_id: str) -> list[WebhookReceipt]:
    async with transaction(sessions) as session:
        rows = await session.scalars(select(WebhookReceipt).where(WebhookReceipt.integration_id == integration_id))
        return list(rows.all())


@pytest.fixture
def hooked(api: str) -> ConnectorSettings:
    """The settings the API runs with, plus the public URL its handler is reached at."""
    return connector_settings(public_webhook_url=f"{api}{PATH}")


async def test_the_portals_events_are_bound_delivered_accepted_and_recorded_once(
    api: str, hooked: ConnectorSettings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    integration_id = f"b24-{uuid.uuid4().hex[:8]}"
    with portal(rate_limits_enabled=False) as sim:
        token = sim.settings.application_token.get_secret_value()
        async with transaction(sessions) as session:
            await integrations.save(
                session, hooked, integration_id, webhook_url=sim.webhook_url, application_token=token
            )
        url = handler_url(hooked, integration_id)
        assert url is not None
        async with Bitrix24Client(sim.webhook_url) as client:
            bound = await ensure_bindings(client, url)
            rebound = await ensure_bindings(client, url)
        contact = rest(sim, "crm.contact.add", fields={"NAME": "Из события"})
        rest(sim, "crm.contact.delete", id=contact)
        for _ in range(100):
            if len(sim.portal.event_log) >= 2:
                break
            await asyncio.sleep(0.05)
        log = list(sim.portal.event_log)
    assert bound == len(EVENTS)
    assert rebound == 0
    assert [(e["event"], e.get("status")) for e in log] == [("ONCRMCONTACTADD", 204), ("ONCRMCONTACTDELETE", 204)]
    kept = await receipts(sessions, integration_id)
    assert sorted(r.events[0]["event"] for r in kept) == ["ONCRMCONTACTADD", "ONCRMCONTACTDELETE"]


def form(token: str, event: str = "ONCRMDEALUPDATE", ts: str = "1770000000") -> dict[str, str]:
    return {
        "event": event,
        "event_handler_id": "3",
        "data[FIELDS][ID]": "42",
        "ts": ts,
        "auth[domain]": "demo.bitrix24.ru",
        "auth[application_token]": token,
    }


async def test_a_forged_event_is_refused_and_a_repeat_is_recorded_once(
    api: str, hooked: ConnectorSettings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    integration_id = f"b24-{uuid.uuid4().hex[:8]}"
    async with transaction(sessions) as session:
        await integrations.save(
            session, hooked, integration_id, webhook_url="https://p.example/rest/1/abc/", application_token="right"
        )
    url = handler_url(hooked, integration_id)
    assert url is not None
    wrong_url = url.replace("token=", "token=x")
    async with httpx.AsyncClient(timeout=10) as client:
        good = await client.post(url, data=form("right"))
        repeat = await client.post(url, data=form("right"))
        forged = await client.post(url, data=form("wrong", ts="1770000001"))
        no_token = await client.post(wrong_url, data=form("right", ts="1770000002"))
        unknown = await client.post(url.replace(integration_id, "nobody"), data=form("right", ts="1770000003"))
    assert good.status_code == repeat.status_code == 204
    assert forged.status_code == no_token.status_code == unknown.status_code == 403
    assert len(await receipts(sessions, integration_id)) == 1


def test_events_name_their_type_and_deletes_ask_for_a_reconcile() -> None:
    assert hint_types("ONCRMDEALUPDATE") == {"deal"}
    assert hint_types("onCrmContactAdd") == {"contact"}
    assert hint_types("ONCRMCOMPANYDELETE") == {"company.deleted"}
    assert hint_types("ONCRMLEADADD") is None  # unknown: sync every type
