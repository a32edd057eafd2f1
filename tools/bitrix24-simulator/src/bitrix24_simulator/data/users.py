"""The portal's employees (``user.get``): the sales staff who own deals and contacts, and the rest of the company.

Users ``1, 3, 5, 7, 9`` (``people.USERS``) are the sales department and stay active; user 1 is also the webhook's
owner. Every seventh of the others has been dismissed (``ACTIVE`` false). A separate random stream, so the portal's
other data is what it was before employees were generated.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from bitrix24_simulator.data.people import USERS
from bitrix24_simulator.store import Portal
from bitrix24_simulator.timefmt import iso
from moysklad_simulator.data import names

SALES_DEPARTMENT, OTHER_DEPARTMENTS = 3, (1, 5, 7)
STAFF = {"tiny": 10, "demo": 60, "large": 120}  # demo and large need more than one page of 50


def generate_users(portal: Portal) -> None:
    rng = random.Random(f"bitrix24-users:{portal.settings.seed}")  # noqa: S311 - simulated data
    for _ in range(STAFF[portal.settings.scale.value]):
        user_id = str(portal.next_id("user"))
        sales = user_id in USERS
        hire(
            portal,
            rng,
            user_id,
            position="Менеджер по продажам" if sales else rng.choice(names.POSITIONS),
            department=SALES_DEPARTMENT if sales else rng.choice(OTHER_DEPARTMENTS),
            active=sales or int(user_id) % 7 != 0,
        )


def hire(
    portal: Portal,
    rng: random.Random,
    user_id: str | None = None,
    *,
    position: str = "Менеджер по продажам",
    department: int = SALES_DEPARTMENT,
    active: bool = True,
    name: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """Add an employee (``name`` is first and last name; made up when not given); tests hire one to see a new id."""
    user_id = user_id or str(portal.next_id("user"))
    female = rng.random() < 0.5
    first = rng.choice(names.FIRST_NAMES_F if female else names.FIRST_NAMES_M)
    last = rng.choice(names.LAST_NAMES) + ("а" if female else "")
    first, last = name or (first, last)
    registered = portal.anchor - timedelta(days=rng.uniform(200, 1500))
    return portal.add(
        "user",
        {
            "ID": user_id,
            "ACTIVE": active,
            "NAME": first,
            "LAST_NAME": last,
            "SECOND_NAME": rng.choice(names.PATRONYMICS_F if female else names.PATRONYMICS_M),
            "EMAIL": f"user{user_id}@{portal.settings.domain}",
            "LAST_LOGIN": iso(portal.anchor - timedelta(hours=rng.uniform(1, 300))) if active else "",
            "DATE_REGISTER": iso(registered.replace(hour=0, minute=0, second=0)),
            "TIME_ZONE": "",
            "IS_ONLINE": "N",
            "PERSONAL_GENDER": "F" if female else "M",
            "PERSONAL_BIRTHDAY": "",
            "WORK_PHONE": "",
            "WORK_POSITION": position,
            "UF_EMPLOYMENT_DATE": "",
            "UF_DEPARTMENT": [department],
            "USER_TYPE": "employee",
        },
    )
