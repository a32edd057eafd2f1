"""Errors only the gateway answers with (the rest of the hierarchy is ``crm_common.errors``)."""

from __future__ import annotations

from crm_common.errors import AppError


class BadGateway(AppError):
    """The upstream service could not be reached or broke the connection."""

    status_code = 502


class GatewayTimeout(AppError):
    """The upstream service did not answer within the timeout."""

    status_code = 504
