"""Bitrix24 REST API simulator: a real HTTP server with a generated CRM portal that shares customers with the
MoySklad simulator's demo shop."""

from bitrix24_simulator.app import create_app
from bitrix24_simulator.data.generator import generate
from bitrix24_simulator.settings import Scale, Settings, Tariff
from bitrix24_simulator.store import Portal

__all__ = ["Portal", "Scale", "Settings", "Tariff", "create_app", "generate"]
