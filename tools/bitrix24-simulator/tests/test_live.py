"""Live mode changes the portal through the same paths as the API, with events."""

from __future__ import annotations

from bitrix24_simulator import generate
from bitrix24_simulator.live import LivePortal
from bitrix24_simulator.store import Binding

from .conftest import make_settings


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
    generated = {r["ID"] for r in portal.records("contact")}
    live = LivePortal(portal)
    for _ in range(80):
        live.step()
    assert generated <= {r["ID"] for r in portal.records("contact")}
