"""A JSON body that is already encoded (a cached report, a model serialized by pydantic-core, plain rows encoded once
with orjson) goes out as it is."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
from starlette.responses import Response


class EncodedJSON(Response):
    """Bytes that are already the JSON of the route's response model: returned from a route, they skip FastAPI's
    validation and encoding of the return value (the model stays in ``response_model=`` for the OpenAPI document)."""

    media_type = "application/json"


def encode_json(content: Any) -> bytes:
    """Plain data (dicts in the response model's field order, lists, str, int, bool, None, ``Decimal``, aware
    ``datetime``) as the very bytes pydantic writes for the response model: a ``Decimal`` as its exact string (the
    API's ``DecimalStr``, docs/architecture.md, "Money, time, quantities"), a UTC time with ``Z``. Anything else is a
    ``TypeError`` (a 500), never a guess."""
    return orjson.dumps(content, default=_decimal_text, option=orjson.OPT_UTC_Z)


def json_response(content: Any) -> EncodedJSON:
    """A read endpoint's body built from rows and encoded once (``encode_json``): no pydantic model per item, no
    validation of what the database already typed, no second encoding by FastAPI (docs/architecture.md, "API
    conventions"). The route keeps its
    ``response_model=`` for the OpenAPI document, and the service's tests hold the bytes to that model."""
    return EncodedJSON(encode_json(content))


def decimal_text(value: Decimal | str | int | float) -> str:
    """A decimal from jsonb (a string as the events write it, or a JSON number) as ``DecimalStr`` writes it."""
    return str(value if isinstance(value, Decimal) else Decimal(str(value)))


def _decimal_text(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} has no JSON form in an API body")
