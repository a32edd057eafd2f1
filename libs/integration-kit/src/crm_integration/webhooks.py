"""Webhook intake: per-integration URL tokens and de-duplicated receipts. A notification is a hint to sync sooner.

Sources that cannot sign their notifications (MoySklad) call a URL carrying a token: ``HMAC-SHA256(secret,
"webhook|<integration id>")``, compared in constant time, so nothing secret is stored and changing the secret changes
every token. Sources that can sign verify their own signature before calling the scheduler's ``hint``.
A source's retries repeat its request id; the receipts table answers "seen already?" in one statement.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from pydantic import SecretStr
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm_integration.tables import WebhookReceiptRow


def webhook_secret(explicit: SecretStr | None, secret_key: SecretStr, purpose: str) -> bytes:
    """``explicit`` if set, else a secret derived from ``secret_key`` for ``purpose`` (e.g. ``moysklad-webhooks``)."""
    if explicit is not None:
        return explicit.get_secret_value().encode()
    return hashlib.sha256(f"{purpose}|".encode() + secret_key.get_secret_value().encode()).digest()


def webhook_token(secret: bytes, integration_id: str) -> str:
    digest = hmac.new(secret, f"webhook|{integration_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token_matches(secret: bytes, integration_id: str, token: str | None) -> bool:
    expected = webhook_token(secret, integration_id)
    return hmac.compare_digest(expected.encode(), (token or "").encode())


def webhook_url(public_url: str | None, secret: bytes, integration_id: str) -> str | None:
    """The URL the source should call for ``integration_id``, or None when no public URL is configured."""
    if not public_url:
        return None
    query = urlencode({"integration": integration_id, "token": webhook_token(secret, integration_id)})
    return f"{public_url}{'&' if '?' in public_url else '?'}{query}"


class ReceiptRepository:
    def __init__(self, session: AsyncSession, model: type[WebhookReceiptRow]) -> None:
        self.session, self.model = session, model

    async def add(self, request_id: str, integration_id: str, events: Any) -> bool:
        """Record a notification; False when its request id was seen already (a retry by the source)."""
        stmt = (
            insert(self.model)
            .values(request_id=request_id, integration_id=integration_id, events=events)
            .on_conflict_do_nothing(index_elements=[self.model.request_id])
            .returning(self.model.request_id)
        )
        return (await self.session.scalar(stmt)) is not None

    async def prune(self, before: datetime) -> int:
        result = await self.session.execute(delete(self.model).where(self.model.received_at < before))
        return int(getattr(result, "rowcount", 0) or 0)
