"""Request parameters as PHP builds them: ``filter[>DATE_MODIFY]=…``, ``select[]=*``, ``fields[PHONE][0][VALUE]=…``.

Bitrix24 accepts the same parameters in the query string, a form-encoded body or a JSON body
(https://apidocs.bitrix24.com/settings/how-to-call-rest-api/data-encoding.html); all three end up as one nested dict.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

_SEGMENT = re.compile(r"\[([^\]]*)\]")


def parse_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Fold ``key[a][]=v`` pairs into nested dicts; ``[]`` appends with the next integer key, like PHP."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        head, _, rest = key.partition("[")
        path = [head, *_SEGMENT.findall("[" + rest)] if rest else [head]
        node: dict[str, Any] = root
        for depth, segment in enumerate(path):
            if segment == "":
                segment = str(_next_index(node))
            if depth == len(path) - 1:
                node[segment] = value
            else:
                child = node.get(segment)
                if not isinstance(child, dict):
                    child = {}
                    node[segment] = child
                node = child
    return root


def parse_query(text: str) -> dict[str, Any]:
    return parse_pairs(parse_qsl(text, keep_blank_values=True))


def _next_index(node: dict[str, Any]) -> int:
    numbers = [int(k) for k in node if k.lstrip("-").isdigit()]
    return max(numbers) + 1 if numbers else 0


def as_list(value: Any) -> list[Any]:
    """A PHP array given as a list, a dict with integer keys (form encoding) or a single value."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return [] if value is None or value == "" else [value]


def merge(query: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """Body parameters win over query parameters of the same name, as in PHP's ``$_REQUEST``."""
    return {**query, **body}
