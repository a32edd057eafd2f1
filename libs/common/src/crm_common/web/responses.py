"""A JSON body that is already encoded (a cached report, a model serialized by pydantic-core) goes out as it is."""

from __future__ import annotations

from starlette.responses import Response


class EncodedJSON(Response):
    """Bytes that are already the JSON of the route's response model: returned from a route, they skip FastAPI's
    validation and encoding of the return value (the model stays in ``response_model=`` for the OpenAPI document)."""

    media_type = "application/json"
