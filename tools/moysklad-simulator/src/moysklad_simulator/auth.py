"""Basic and Bearer authentication, and the token endpoint (docs/moysklad.md, "Authentication")."""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass

from fastapi import APIRouter, Request, Response

from moysklad_simulator.errors import MoySkladError
from moysklad_simulator.responses import respond
from moysklad_simulator.store import SimulatorState

AUTH_MESSAGE = "Ошибка аутентификации: Неправильный пароль или имя пользователя или ключ авторизации"

router = APIRouter()


@dataclass(frozen=True)
class Principal:
    """Who is calling and how: ``basic`` or ``token`` (the two weigh differently in rate limits)."""

    login: str
    kind: str


def auth_error() -> MoySkladError:
    return MoySkladError(401, 1056, AUTH_MESSAGE)


def authenticate(header: str | None, state: SimulatorState) -> Principal:
    """Check an Authorization header; raises 401/1056 when it is missing or wrong."""
    scheme, _, value = (header or "").partition(" ")
    value = value.strip()
    if scheme.lower() == "basic":
        return _basic(value, state)
    if scheme.lower() == "bearer" and value in state.tokens:
        return Principal(state.settings.login, "token")
    raise auth_error()


def _basic(value: str, state: SimulatorState) -> Principal:
    try:
        login, _, password = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise auth_error() from None
    expected = state.settings.password.get_secret_value()
    if login == state.settings.login and hmac.compare_digest(password.encode(), expected.encode()):
        return Principal(login, "basic")
    raise auth_error()


@router.post("/security/token")
def issue_token(request: Request) -> Response:
    """Issue a new access token, revoking the previous ones."""
    state: SimulatorState = request.app.state.sim
    return respond(request, {"access_token": state.issue_token()})
