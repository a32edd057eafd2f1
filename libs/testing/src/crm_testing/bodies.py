"""A read endpoint that sends plain data encoded once (crm_common.web.responses) against its response model."""

from __future__ import annotations

from pydantic import BaseModel


def assert_model_bytes(model: type[BaseModel], raw: bytes) -> None:
    """``raw`` is byte for byte what ``model`` writes for the values it holds: every field there, in the model's order,
    nothing more, money and quantities as exact decimal strings, times as pydantic writes them. A body that the model
    refuses, or that it writes back otherwise, fails with the first place they part."""
    again = model.model_validate_json(raw).model_dump_json().encode()
    if again != raw:
        at = next((i for i, (a, b) in enumerate(zip(raw, again, strict=False)) if a != b), min(len(raw), len(again)))
        sent, written = raw[max(0, at - 60) : at + 60], again[max(0, at - 60) : at + 60]
        raise AssertionError(f"{model.__name__} body differs at byte {at}:\n sent   {sent!r}\n model  {written!r}")
