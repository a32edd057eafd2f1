"""Live mode changes the portal through the same paths as the API, with events."""

from __future__ import annotations

import time

import httpx

from bitrix24_simulator import generate
from bitrix24_simulator.live import LivePortal
from bitrix24_simulator.store import Binding
from bitrix24_simulator.testing import serve_in_thread

from .conftest import Receiver, make_settings


def test_live_steps_change_records_and_queue_events() -> None:
    portal = generate(make_settings(scale="tiny"))
    for event in ("ONCRMDEALUPDATE", "ONCRMDEALADD", "ONCRMCONTACTADD", "ONCRMCONTACTUPDATE", "ONCRMCONTACTDELETE"):
        portal.bindings.append(Binding(len(portal.bindings) + 1, event, "http://127.0.0.1:9/"))
    before = {kind: {r["ID"]: dict(r) for r in portal.records(kind)} for kind in ("deal", "contact", "company")}
    live = LivePortal(portal)
    actions = [live.step() for _ in range(60)]
    assert set(actions) >= {"move", "deal", "contact", "edit", "delete"}
    assert {item["event"] for item in portal.outbox} >= {"ONCRMDEALUPDATE", "ONCRMDEALADD", "ONCRMCONTACTADD"}
    changed = [r for r in portal.records("deal") if r["ID"] in before["deal"] and r != before["deal"][r["ID"]]]
    assert changed
    assert len(portal.records("deal")) > len(before["deal"])


def test_live_deletes_only_what_it_created() -> None:
    portal = generate(make_settings(scale="tiny"))
    generated = {kind: {r["ID"] for r in portal.records(kind)} for kind in ("contact", "deal")}
    for event in ("ONCRMCONTACTDELETE", "ONCRMDEALDELETE"):
        portal.bindings.append(Binding(len(portal.bindings) + 1, event, "http://127.0.0.1:9/"))
    live = LivePortal(portal)
    for _ in range(120):
        live.step()
    for kind, ids in generated.items():
        assert ids <= {r["ID"] for r in portal.records(kind)}
    assert {item["event"] for item in portal.outbox} == {"ONCRMCONTACTDELETE", "ONCRMDEALDELETE"}


def test_live_server_changes_data_that_a_date_modify_filter_then_finds(receiver: Receiver) -> None:
    settings = make_settings(scale="tiny", live=True, live_interval_seconds=0.05)
    with serve_in_thread(settings) as sim:
        since = sim.portal.now_iso()
        for event in ("ONCRMDEALUPDATE", "ONCRMDEALADD", "ONCRMCONTACTADD", "ONCRMCONTACTUPDATE"):
            httpx.post(f"{sim.webhook_url}event.bind", json={"event": event, "handler": receiver.url})
        deadline = time.monotonic() + 20
        changed: list[dict[str, str]] = []
        while not changed and time.monotonic() < deadline:
            time.sleep(0.1)
            body = httpx.post(f"{sim.webhook_url}crm.deal.list", json={"filter": {">=DATE_MODIFY": since}}).json()
            changed = body["result"]
        assert changed
        while not receiver.posts and time.monotonic() < deadline:
            time.sleep(0.05)
    assert receiver.posts
