"""Deal history over the last months: deals in three funnels, won, lost and still open, with product rows.

Older deals are mostly closed, recent ones mostly open; a deal's ``DATE_MODIFY`` is its close or last move, never
after the anchor. Money is roubles: ``OPPORTUNITY`` a two-decimal string, row prices numbers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bitrix24_simulator.crm.deals import add_row, row_total
from bitrix24_simulator.crm.entities import money
from bitrix24_simulator.data.funnel import FUNNELS, SEMANTIC_IDS, stage_id
from bitrix24_simulator.data.people import USERS
from bitrix24_simulator.store import Portal
from bitrix24_simulator.timefmt import iso

CATEGORY_WEIGHTS = (50, 30, 20)


def generate_deals(portal: Portal, count: int) -> None:
    rng = portal.rng
    span = portal.settings.history_months * 30 * 86_400
    created = sorted(portal.anchor - timedelta(seconds=rng.uniform(3600, span)) for _ in range(count))
    shared = {(m.entity_type, m.entity_id) for m in portal.matches}
    contacts = [c["ID"] for c in portal.records("contact")]
    companies = [c["ID"] for c in portal.records("company")]
    shared_contacts = [i for i in contacts if ("contact", i) in shared] or contacts
    shared_companies = [i for i in companies if ("company", i) in shared] or companies
    for moment in created:
        category = rng.choices((0, 1, 2), CATEGORY_WEIGHTS)[0]
        wholesale = category == 1 or (category == 0 and rng.random() < 0.5)
        pool = (shared_companies if rng.random() < 0.5 else companies) if wholesale else None
        people = shared_contacts if rng.random() < 0.5 else contacts
        client: dict[str, Any] = (
            {"COMPANY_ID": rng.choice(pool), "CONTACT_ID": None}
            if pool
            else {"CONTACT_ID": rng.choice(people) if people else None, "COMPANY_ID": None}
        )
        _deal(portal, moment, category, client, wholesale)


def _stage(portal: Portal, category: int, age_days: float) -> tuple[str, str]:
    """A stage code and its semantics: old deals are mostly closed."""
    rng = portal.rng
    stages = next(s for c, _, _, s in FUNNELS if c == category)
    won, lost = (0.55, 0.3) if age_days > 21 else (0.15, 0.1)
    roll = rng.random()
    if roll < won:
        return "WON", "success"
    if roll < won + lost:
        return "LOSE", "failure"
    code, _, semantics = rng.choice([s for s in stages if s[2] == "process"])
    return code, semantics


def _deal(portal: Portal, moment: datetime, category: int, client: dict[str, Any], wholesale: bool) -> None:
    rng = portal.rng
    age_days = (portal.anchor - moment).total_seconds() / 86_400
    code, semantics = _stage(portal, category, age_days)
    closed = semantics != "process"
    if closed:
        close = moment + timedelta(days=rng.uniform(0.1, max(0.2, min(age_days, 45))))
        modified = min(close, portal.anchor)
    else:
        close = moment + timedelta(days=30)
        modified = moment + timedelta(days=rng.uniform(0, min(age_days, 20)))
    deal_id = portal.next_id("deal")
    products = portal.records("product")
    rows = []
    for position in range(1, rng.randint(1, 4) + 1):
        product = rng.choice(products)
        quantity = rng.randint(5, 40) if wholesale else rng.randint(1, 3)
        rows.append(
            add_row(portal, deal_id, int(product["ID"]), product["NAME"], product["PRICE"], quantity, position * 10)
        )
    amount = sum(row_total(r) for r in rows)
    titles = {0: "Сделка", 1: "Оптовый заказ", 2: "Заказ с сайта"}
    portal.add(
        "deal",
        {
            "ID": str(deal_id),
            "TITLE": f"{titles[category]} #{deal_id}",
            "TYPE_ID": "SALE",
            "CATEGORY_ID": str(category),
            "STAGE_ID": stage_id(category, code),
            "STAGE_SEMANTIC_ID": SEMANTIC_IDS[semantics],
            "PROBABILITY": None,
            "CURRENCY_ID": "RUB",
            "OPPORTUNITY": money(amount),
            "IS_MANUAL_OPPORTUNITY": "N",
            "TAX_VALUE": "0.00",
            **client,
            "BEGINDATE": iso(moment),
            "CLOSEDATE": iso(close),
            "ASSIGNED_BY_ID": rng.choice(USERS),
            "CREATED_BY_ID": "1",
            "MODIFY_BY_ID": "1",
            "DATE_CREATE": iso(moment),
            "DATE_MODIFY": iso(modified),
            "OPENED": "Y",
            "CLOSED": "Y" if closed else "N",
            "SOURCE_ID": rng.choice(("WEB", "CALL", "EMAIL", "REPEAT_SALE")),
            "IS_NEW": "N",
            "IS_RETURN_CUSTOMER": "N",
            "UF_CRM_DELIVERY_CITY": None,
        },
    )
