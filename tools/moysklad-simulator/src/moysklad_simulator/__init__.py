"""MoySklad JSON API 1.2 simulator: a real HTTP server with a generated, believable Russian shop."""

from moysklad_simulator.app import create_app
from moysklad_simulator.data.generator import generate
from moysklad_simulator.settings import Scale, Settings
from moysklad_simulator.store import SimulatorState

__all__ = ["Scale", "Settings", "SimulatorState", "create_app", "generate"]
