"""Build a complete simulated portal from the settings: deterministic for a given seed, scale and anchor."""

from __future__ import annotations

from bitrix24_simulator.data.catalog import generate_products, reprice
from bitrix24_simulator.data.funnel import build_funnels
from bitrix24_simulator.data.history import generate_deals
from bitrix24_simulator.data.people import generate_people
from bitrix24_simulator.data.shop import moysklad_shop
from bitrix24_simulator.data.stagehistory import generate_stage_history
from bitrix24_simulator.data.users import generate_users
from bitrix24_simulator.settings import SCALE_SIZES, Settings
from bitrix24_simulator.store import Portal


def generate(settings: Settings) -> Portal:
    """A fresh portal filled as ``settings.scale`` and ``settings.seed`` say, sharing customers with MoySklad's shop."""
    portal = Portal(settings)
    moysklad_scale, contacts, companies, deals = SCALE_SIZES[settings.scale]
    shop = moysklad_shop(moysklad_scale, settings.seed, settings.anchor)
    portal.moysklad_scale = moysklad_scale
    build_funnels(portal)
    generate_products(portal, shop)
    generate_people(portal, shop, contacts, companies)
    generate_deals(portal, deals)
    generate_users(portal)
    generate_stage_history(portal)
    reprice(portal)
    return portal
