"""The connector's structured logger."""

from __future__ import annotations

from typing import Any

from crm_common.logging import get_logger

log: Any = get_logger("bitrix24_connector")
