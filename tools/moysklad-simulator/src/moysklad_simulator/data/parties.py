"""Generate the account's own entities and parties: group, uoms, currency, price types, organization,
employees, stores and counterparties."""

from __future__ import annotations

from typing import Any

from moysklad_simulator.data import names
from moysklad_simulator.data.common import inn, past_updated, phone, record
from moysklad_simulator.model import Inline, Ref
from moysklad_simulator.store import SimulatorState


def generate_basics(state: SimulatorState) -> None:
    """Group, admin employee, uoms, currencies and price types: what every account starts with."""
    state.group_id = state.ids.uuid()
    state.admin_id = state.ids.uuid()
    state.add(
        "group", record(state, "group", past_updated(state), owned=False, id=state.group_id, name="Основной", index=0)
    )
    _employee(state, "Администратор", "", "", state.settings.login, "Администратор", state.admin_id)
    for name, code, description in names.UOMS:
        state.add(
            "uom",
            record(
                state,
                "uom",
                past_updated(state),
                owned=False,
                name=name,
                code=code,
                description=description,
                externalCode=code,
            ),
        )
    _currencies(state)
    state.price_types = [
        _price_type(state, "Цена продажи"),
        _price_type(state, "Оптовая цена"),
    ]


def _price_type(state: SimulatorState, name: str) -> dict[str, Any]:
    type_id = state.ids.uuid()
    return {"_ref": Ref("pricetype", type_id), "id": type_id, "name": name, "externalCode": state.ids.external_code()}


def price_type_inline(price_type: dict[str, Any]) -> Inline:
    """``priceType`` inside salePrices comes inline with id, name, externalCode (docs/moysklad.md, "Entity details")."""
    fields = {k: price_type[k] for k in ("id", "name", "externalCode")}
    return Inline(price_type["_ref"], fields)


def _currencies(state: SimulatorState) -> None:
    rows = (
        ("руб", "Российский рубль", "643", "RUB", 1.0, ("рубль", "рубля", "рублей"), ("копейка", "копейки", "копеек")),
        ("USD", "Доллар США", "840", "USD", 92.5, ("доллар", "доллара", "долларов"), ("цент", "цента", "центов")),
        ("EUR", "Евро", "978", "EUR", 99.8, ("евро", "евро", "евро"), ("цент", "цента", "центов")),
    )
    for name, full_name, code, iso, rate, major, minor in rows:
        currency_id = state.ids.uuid()
        default = iso == "RUB"
        if default:
            state.currency_id = currency_id
        # currency has no `updated` (docs/moysklad.md, "Identifiers")
        state.add(
            "currency",
            {
                "_ref": Ref("currency", currency_id),
                "id": currency_id,
                "system": default,
                "name": name,
                "fullName": full_name,
                "rate": rate,
                "multiplicity": 1,
                "indirect": False,
                "rateUpdateType": "manual",
                "code": code,
                "isoCode": iso,
                "majorUnit": {"gender": "masculine", "s1": major[0], "s2": major[1], "s5": major[2]},
                "minorUnit": {
                    "gender": "masculine" if iso != "RUB" else "feminine",
                    "s1": minor[0],
                    "s2": minor[1],
                    "s5": minor[2],
                },
                "archived": False,
                "default": default,
            },
        )


def _employee(
    state: SimulatorState, last: str, first: str, middle: str, uid: str, position: str, employee_id: str | None = None
) -> None:
    full = " ".join(p for p in (last, first, middle) if p)
    short = last + (f" {first[0]}." if first else "") + (f"{middle[0]}." if middle else "")
    fields: dict[str, Any] = {
        "id": employee_id,
        "name": full,
        "externalCode": state.ids.external_code(),
        "archived": False,
        "created": past_updated(state, 800),
        "uid": uid,
        "email": f"{uid.split('@')[0]}@example.ru",
        "phone": phone(state.rng),
    }
    if first:
        fields["firstName"] = first
    if middle:
        fields["middleName"] = middle
    fields.update(lastName=last, fullName=full, shortFio=short, position=position)
    state.add("employee", record(state, "employee", past_updated(state), **fields))


def generate_parties(state: SimulatorState, counterparties: int) -> None:
    """Organization, staff, stores and counterparties."""
    _organization(state)
    rng = state.rng
    for i in range(6):
        female = i % 2 == 0
        last = rng.choice(names.LAST_NAMES) + ("а" if female else "")
        first = rng.choice(names.FIRST_NAMES_F if female else names.FIRST_NAMES_M)
        middle = rng.choice(names.PATRONYMICS_F if female else names.PATRONYMICS_M)
        login = f"{_translit(last)}{i}@{state.settings.login.split('@')[-1]}"
        _employee(state, last, first, middle, login, rng.choice(names.POSITIONS))
    for i, (name, address) in enumerate(names.STORES):
        state.add(
            "store",
            record(
                state,
                "store",
                past_updated(state),
                name=name,
                code=f"{i + 1:03d}",
                externalCode=state.ids.external_code(),
                archived=False,
                address=address,
                pathName="",
            ),
        )
    _retail_customer(state)
    for _ in range(counterparties):
        _counterparty(state)


def _organization(state: SimulatorState) -> None:
    state.organization_id = state.ids.uuid()
    state.add(
        "organization",
        record(
            state,
            "organization",
            past_updated(state),
            id=state.organization_id,
            name='ООО "Домашний Стиль"',
            externalCode=state.ids.external_code(),
            archived=False,
            created=past_updated(state, 900),
            companyType="legal",
            legalTitle='Общество с ограниченной ответственностью "Домашний Стиль"',
            legalAddress="125009, Москва, ул. Тверская, д. 15",
            inn=inn(state.rng, person=False),
            kpp="770301001",
            ogrn="1157746123456",
            email="info@domstyle.example.ru",
            phone="+7 (495) 123-45-67",
            payerVat=True,
            director="Лебедев Андрей Сергеевич",
            chiefAccountant="Морозова Елена Игоревна",
        ),
    )


def _retail_customer(state: SimulatorState) -> None:
    state.retail_customer_id = state.ids.uuid()
    state.add(
        "counterparty",
        record(
            state,
            "counterparty",
            past_updated(state),
            id=state.retail_customer_id,
            name="Розничный покупатель",
            externalCode=state.ids.external_code(),
            archived=False,
            created=past_updated(state, 900),
            companyType="individual",
            tags=[],
            salesAmount=0.0,
        ),
    )


def _counterparty(state: SimulatorState) -> None:
    rng = state.rng
    kind = rng.choices(("legal", "entrepreneur", "individual"), (5, 3, 2))[0]
    last = rng.choice(names.LAST_NAMES)
    first = rng.choice(names.FIRST_NAMES_M)
    middle = rng.choice(names.PATRONYMICS_M)
    city = rng.choice(names.CITIES)
    address = f"{city}, {rng.choice(names.STREETS)}, д. {rng.randrange(1, 120)}"
    fields: dict[str, Any] = {}
    if kind == "legal":
        word = rng.choice(names.COMPANY_WORDS) + rng.choice(names.COMPANY_SUFFIXES)
        name = f'ООО "{word}"'
        fields = {
            "legalTitle": f'Общество с ограниченной ответственностью "{word}"',
            "legalAddress": address,
            "inn": inn(rng, person=False),
            "kpp": f"{rng.randrange(1000, 9999)}01001",
            "email": f"{_translit(word.split()[0].split('-')[0])}{rng.randrange(100)}@example.ru",
        }
        tags = ["поставщики"] if rng.random() < 0.4 else ["оптовики"]
    elif kind == "entrepreneur":
        name = f"ИП {last} {first[0]}.{middle[0]}."
        fields = {
            "legalTitle": f"Индивидуальный предприниматель {last} {first} {middle}",
            "legalAddress": address,
            "inn": inn(rng, person=True),
            "email": f"ip.{_translit(last)}{rng.randrange(100)}@example.ru",
        }
        tags = ["поставщики"] if rng.random() < 0.3 else ["оптовики"]
    else:
        name = f"{last} {first} {middle}"
        fields = {"email": f"{_translit(first)}.{_translit(last)}{rng.randrange(100)}@example.ru"}
        tags = ["розница"]
    state.add(
        "counterparty",
        record(
            state,
            "counterparty",
            past_updated(state),
            name=name,
            code=f"CP-{len(state.tables['counterparty']):05d}",
            externalCode=state.ids.external_code(),
            archived=rng.random() < 0.03,
            created=past_updated(state, 900),
            companyType=kind,
            phone=phone(rng),
            actualAddress=address,
            tags=tags,
            salesAmount=0.0,
            **fields,
        ),
    )


_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "zh",
            "z",
            "i",
            "y",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "sch",
            "",
            "y",
            "",
            "e",
            "yu",
            "ya",
        ],
        strict=True,
    )
)


def _translit(text: str) -> str:
    return "".join(_TRANSLIT.get(ch, ch if ch.isascii() and ch.isalnum() else "") for ch in text.lower())
