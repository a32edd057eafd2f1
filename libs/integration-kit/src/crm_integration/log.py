"""The kit's structured logger; every line names the connector it runs in through the ``source`` field."""

from __future__ import annotations

from typing import Any

from crm_common.logging import get_logger

log: Any = get_logger("crm_integration")
