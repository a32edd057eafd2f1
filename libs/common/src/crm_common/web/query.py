"""A route's query parameters as one pydantic model, read in one validation (docs/architecture.md, "API conventions").

FastAPI reads each parameter declared in a route's signature on its own, and for each one works out again, on every
request, what its declaration means (is it a list, a model, which alias): ~9 µs a parameter, 147 µs of a cached
sales report's ~400 µs of CPU with its sixteen parameters, measured in one process (issue #16). ``QueryParameters``
does that work once, when the route is declared, and validates the query string against the model in pydantic's
core in one call::

    class StockQuery(BaseModel):
        store_id: str | None = None
        limit: int = Field(default=50, ge=1, le=500)

    @router.get("/stock")
    async def list_stock(query: Annotated[StockQuery, Depends(QueryParameters(StockQuery))]) -> ...

What a client sees is what FastAPI gives: a value the model refuses is a 422 naming ``query.<parameter>`` (the error
handler's ``{"error": "ValidationError", "detail": ...}``), a parameter repeated in the query string counts once (the
last) unless its field is a list, and parameters the model does not name are ignored. The OpenAPI document lists the
model's fields as the operation's query parameters (``document_query_parameters``, run by the app factory).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Generic, TypeVar, get_args, get_origin

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.routing import BaseRoute

M = TypeVar("M", bound=BaseModel)


class QueryParameters(Generic[M]):
    """A dependency that reads the query string into ``model`` (a field's alias is its parameter's name)."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self.names = tuple(field.alias or name for name, field in model.model_fields.items())
        self.lists = frozenset(
            field.alias or name for name, field in model.model_fields.items() if _is_list(field.annotation)
        )

    # async although it awaits nothing: FastAPI runs a plain `def` dependency in its thread pool, a hop per request.
    async def __call__(self, request: Request) -> M:
        return self.read(request)

    def read(self, request: Request) -> M:
        query = request.query_params
        values: dict[str, Any] = {}
        for name in self.names:
            if name in query:
                values[name] = query.getlist(name) if name in self.lists else query[name]
        try:
            return self.model.model_validate(values)
        except ValidationError as exc:
            raise RequestValidationError(
                [{**error, "loc": ("query", *error["loc"])} for error in exc.errors(include_url=False)]
            ) from None

    def parameters(self, components: dict[str, Any]) -> list[dict[str, Any]]:
        """The model's fields as OpenAPI query parameters; the schemas they refer to (enums) go into ``components``."""
        schema = self.model.model_json_schema(ref_template="#/components/schemas/{model}", mode="validation")
        for name, definition in schema.get("$defs", {}).items():
            components.setdefault(name, definition)
        required = set(schema.get("required", ()))
        parameters = []
        for name, property_schema in schema.get("properties", {}).items():
            property_schema = dict(property_schema)
            if property_schema.get("default", ...) is None:
                del property_schema["default"]  # as FastAPI documents an optional parameter
            if "title" not in property_schema and "$ref" not in property_schema:
                # FastAPI titles every parameter but a bare reference; pydantic leaves an optional enum untitled
                property_schema["title"] = name.replace("_", " ").title()
            parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in required}
            if "description" in property_schema:
                parameter["description"] = property_schema["description"]
            parameter["schema"] = property_schema
            parameters.append(parameter)
        return parameters


def _is_list(annotation: Any) -> bool:
    """A field of ``list[...]``, ``tuple[...]`` or ``set[...]``, optional or not: its parameter may repeat."""
    origin = get_origin(annotation)
    if origin in (list, tuple, set, frozenset):
        return True
    return any(_is_list(arg) for arg in get_args(annotation)) if origin is not None else False


def _dependants(route: APIRoute) -> Iterator[Dependant]:
    """The route's own dependant and its dependencies', at any depth."""
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        yield dependant
        pending.extend(dependant.dependencies)


def query_parameters_of(route: APIRoute) -> list[QueryParameters[Any]]:
    """The ``QueryParameters`` dependencies of ``route``, at any depth."""
    return [d.call for d in _dependants(route) if isinstance(d.call, QueryParameters)]


def refuse_loose_query_parameters(routes: Iterable[BaseRoute]) -> None:
    """Raise ``ValueError`` naming every route that declares a query parameter in a signature (its own or a
    dependency's) rather than in a ``QueryParameters`` model: one way to read a query string, and none paying
    FastAPI's per-parameter work on every request."""
    loose: list[str] = []
    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        names = [param.name for dependant in _dependants(route) for param in dependant.query_params]
        if names:
            loose.append(f"{'/'.join(sorted(route.methods or ()))} {route.path} ({', '.join(names)})")
    if loose:
        raise ValueError(
            "read query parameters as one model (crm_common.web.query.QueryParameters), not in a signature: "
            + "; ".join(loose)
        )


def document_query_parameters(app: FastAPI, schema: dict[str, Any]) -> None:
    """Add each route's ``QueryParameters`` to its operations in ``schema`` (the app's OpenAPI document)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        readers = query_parameters_of(route)
        if not readers:
            continue
        item = schema.get("paths", {}).get(route.path_format, {})
        for method in route.methods or ():
            operation = item.get(method.lower())
            if operation is None:
                continue
            # FastAPI answers any route with parameters with a 422 in its document; one whose only parameters are
            # a model's would otherwise lose it (the app factory describes its body, ErrorBody)
            operation.setdefault("responses", {}).setdefault("422", {"description": "Validation Error"})
            declared = operation.setdefault("parameters", [])
            # where FastAPI puts query parameters: after the path's, before headers and cookies
            at = next((i for i, p in enumerate(declared) if p.get("in") in ("header", "cookie")), len(declared))
            declared[at:at] = [parameter for reader in readers for parameter in reader.parameters(components)]
