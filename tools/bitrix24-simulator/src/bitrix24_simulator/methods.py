"""The method registry: each REST method name maps to a handler over the portal and the parsed parameters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bitrix24_simulator import events
from bitrix24_simulator.crm import deals, entities, fields, products, stagehistory, users
from bitrix24_simulator.crm.listing import Page
from bitrix24_simulator.store import Portal


@dataclass(frozen=True)
class Outcome:
    """What a method produced: ``result`` plus, for list methods, ``total`` and ``next``."""

    result: Any
    total: int | None = None
    next: int | None = None
    is_list: bool = False


Handler = Callable[[Portal, dict[str, Any]], Outcome]


def _plain(function: Callable[[Portal, dict[str, Any]], Any]) -> Handler:
    return lambda portal, params: Outcome(function(portal, params))


def _on(function: Callable[[Portal, entities.Entity, dict[str, Any]], Any], entity: entities.Entity) -> Handler:
    return lambda portal, params: Outcome(function(portal, entity, params))


def _list_of(function: Callable[[Portal, dict[str, Any]], Page], key: str | None = None) -> Handler:
    """A list method; ``key`` wraps the page as ``{key: [...]}`` (``crm.stagehistory.list``)."""

    def handler(portal: Portal, params: dict[str, Any]) -> Outcome:
        page = function(portal, params)
        result = page.items if key is None else {key: page.items}
        return Outcome(result, 0 if page.total is None else page.total, page.next, is_list=True)

    return handler


def _listing(entity: entities.Entity) -> Handler:
    return _list_of(lambda portal, params: entities.list_(portal, entity, params))


def _registry() -> dict[str, Handler]:
    registry: dict[str, Handler] = {}
    writable = {"contact", "company", "deal", "requisite"}
    for name, entity in entities.ENTITIES.items():
        prefix = f"crm.{name}"
        registry[f"{prefix}.fields"] = _on(fields.describe, entity)
        registry[f"{prefix}.get"] = _on(entities.get, entity)
        registry[f"{prefix}.list"] = _listing(entity)
        if name in writable:
            registry[f"{prefix}.add"] = _on(entities.add, entity)
            registry[f"{prefix}.update"] = _on(entities.update, entity)
            registry[f"{prefix}.delete"] = _on(entities.delete, entity)
    registry.update(
        {
            "crm.deal.productrows.get": _plain(deals.productrows_get),
            "crm.deal.productrows.set": _plain(deals.productrows_set),
            "crm.category.list": _plain(deals.category_list),
            "crm.dealcategory.stage.list": _plain(deals.dealcategory_stage_list),
            "crm.status.list": _plain(deals.status_list),
            "crm.stagehistory.list": _list_of(stagehistory.stagehistory_list, "items"),
            "user.get": _list_of(users.user_get),
            "crm.vat.list": _list_of(products.vat_list),
            **{name: _plain(write) for name, write in products.WRITES.items()},
            "event.bind": _plain(events.bind),
            "event.get": _plain(events.get),
            "event.unbind": _plain(events.unbind),
        }
    )
    return registry


METHODS = _registry()
