"""Which headers cross the gateway, in each direction (RFC 9110 §7.6.1 hop-by-hop fields; W3C Trace Context)."""

from __future__ import annotations

import re
import secrets

from starlette.datastructures import Headers

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# Set by the gateway itself, never trusted from the caller or copied from the upstream.
REQUEST_DROP = HOP_BY_HOP | {"host", "x-request-id", "traceparent", "x-forwarded-for"}
RESPONSE_DROP = HOP_BY_HOP | {"x-request-id", "server", "date"}

_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def _connection_listed(headers: Headers) -> set[str]:
    """Fields named in ``Connection`` are hop-by-hop too."""
    listed: set[str] = set()
    for value in headers.getlist("connection"):
        listed |= {token.strip().lower() for token in value.split(",") if token.strip()}
    return listed


def next_traceparent(incoming: str | None) -> str:
    """Continue the caller's trace with a new span id for the gateway hop, or start a trace."""
    span = secrets.token_hex(8)
    match = _TRACEPARENT.match(incoming.strip().lower()) if incoming else None
    if match and match.group(1) != "ff" and set(match.group(2)) != {"0"} and set(match.group(3)) != {"0"}:
        return f"00-{match.group(2)}-{span}-{match.group(4)}"
    return f"00-{secrets.token_hex(16)}-{span}-01"


def upstream_request_headers(
    headers: Headers, *, request_id: str, client_ip: str, scheme: str, host: str | None
) -> list[tuple[str, str]]:
    drop = REQUEST_DROP | _connection_listed(headers)
    out = [(k, v) for k, v in headers.items() if k not in drop]
    forwarded_for = headers.get("x-forwarded-for")
    out.append(("x-forwarded-for", f"{forwarded_for}, {client_ip}" if forwarded_for else client_ip))
    out.append(("x-forwarded-proto", scheme))
    if host:
        out.append(("x-forwarded-host", host))
    out.append(("x-request-id", request_id))
    out.append(("traceparent", next_traceparent(headers.get("traceparent"))))
    return out


_RESPONSE_DROP_BYTES = frozenset(h.encode() for h in RESPONSE_DROP)


def downstream_response_headers(
    raw: list[tuple[bytes, bytes]], *, upstream_base: bytes, public_base: bytes
) -> list[tuple[bytes, bytes]]:
    """Drop hop-by-hop fields; point a redirect at the upstream (a trailing-slash redirect) back at the gateway."""
    connection_listed: set[bytes] = set()
    for key, value in raw:
        if key.lower() == b"connection":
            connection_listed |= {t.strip().lower() for t in value.split(b",") if t.strip()}
    out = []
    for key, value in raw:
        name = key.lower()
        if name in _RESPONSE_DROP_BYTES or name in connection_listed:
            continue
        if name == b"location" and value.startswith(upstream_base):
            value = public_base + value[len(upstream_base) :]
        out.append((name, value))
    return out
