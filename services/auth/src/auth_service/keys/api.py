"""The public JWKS (RFC 7517) every verifier of access tokens reads."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from auth_service.deps import Context

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.get("/.well-known/jwks.json")
async def jwks(ctx: Context, response: Response) -> dict[str, Any]:
    """Publish the public keys that verify access tokens (current and recently superseded)."""
    response.headers["Cache-Control"] = "public, max-age=60"
    return {"keys": await ctx.keyring.public_jwks()}
