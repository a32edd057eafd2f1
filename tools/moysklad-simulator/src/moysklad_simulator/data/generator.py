"""Build a complete simulated account from the settings: deterministic for a given seed and anchor."""

from __future__ import annotations

from moysklad_simulator.data.catalog import generate_catalog
from moysklad_simulator.data.history import generate_history
from moysklad_simulator.data.parties import generate_basics, generate_parties
from moysklad_simulator.settings import SCALE_SIZES, Settings
from moysklad_simulator.store import SimulatorState


def generate(settings: Settings) -> SimulatorState:
    """A fresh state filled with the shop described by ``settings.scale`` and ``settings.seed``."""
    state = SimulatorState(settings)
    products, counterparties, docs_per_month = SCALE_SIZES[settings.scale]
    generate_basics(state)
    generate_parties(state, counterparties)
    generate_catalog(state, products)
    generate_history(state, docs_per_month)
    return state
