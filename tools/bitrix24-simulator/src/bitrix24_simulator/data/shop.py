"""The MoySklad simulator's demo shop, as far as this portal needs it: counterparties and products.

Built with the MoySklad simulator's own generator steps, in the order its ``generate()`` runs them (basics, parties,
catalog), so the counterparty and product ids are the ones that simulator serves for the same seed and scale.
"""

from __future__ import annotations

from moysklad_simulator.data.catalog import generate_catalog
from moysklad_simulator.data.parties import generate_basics, generate_parties
from moysklad_simulator.settings import SCALE_SIZES as MOYSKLAD_SIZES
from moysklad_simulator.settings import Scale as MoySkladScale
from moysklad_simulator.settings import Settings as MoySkladSettings
from moysklad_simulator.store import SimulatorState


def moysklad_shop(scale: str, seed: int, anchor: str | None) -> SimulatorState:
    """The MoySklad simulator's shop up to its catalog (documents are not needed here)."""
    settings = MoySkladSettings(scale=MoySkladScale(scale), seed=seed, anchor=anchor)
    products, counterparties, _ = MOYSKLAD_SIZES[settings.scale]
    state = SimulatorState(settings)
    generate_basics(state)
    generate_parties(state, counterparties)
    generate_catalog(state, products)
    return state
