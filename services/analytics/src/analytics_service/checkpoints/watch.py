"""The checkpoint token held in memory while PostgreSQL announces every change to the checkpoints.

A cached report's key includes the checkpoint token (analytics_service.cache). Reading it from the table on every
hit took a pooled connection and a query, a third of a cached report's CPU (issue #16). Migration 0006 makes every
statement that writes the checkpoints send a notification on ``analytics_checkpoints`` when its transaction
commits; a ``CheckpointWatch`` listens on a connection of its own and keeps the token it last read until then.

Whenever the watch cannot vouch for its token, ``known()`` is None and the caller reads the table as before:

- not listening (not yet connected, the connection lost, PostgreSQL restarting): forgotten at once, and connected
  again after ``retry_seconds``;
- a read that overlaps a change (or the start of listening) is answered but not kept: it may predate the change;
- every ``check_seconds`` the watch reads the token on its own connection and forgets its own if they differ, so a
  notification that never comes (a connection pooler that drops LISTEN, a trigger disabled by hand) leaves a report
  stale for that long at most. A dead connection fails that read and is replaced.

A notification reaches this process a moment after the commit (well under a millisecond on one host): a request
in that moment may still be answered from the report cached before it, as it would have been a moment earlier.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import asyncpg
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url

from analytics_service.checkpoints.repository import TOKEN, token, token_of
from crm_common.db import Reads
from crm_common.logging import get_logger

log = get_logger(__name__)
CHANNEL = "analytics_checkpoints"  # migration 0006
TOKEN_SQL = str(TOKEN.compile(dialect=postgresql.dialect()))


def driver_dsn(database_url: str) -> str:
    """A SQLAlchemy URL (``postgresql+asyncpg://…``) as the DSN asyncpg connects with."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class CheckpointWatch:
    def __init__(
        self,
        database_url: str,
        schema: str,
        *,
        check_seconds: float = 5.0,
        retry_seconds: float = 1.0,
        application_name: str = "analytics-watch",
    ) -> None:
        self.dsn, self.schema, self.application_name = driver_dsn(database_url), schema, application_name
        self.check_seconds, self.retry_seconds = check_seconds, retry_seconds
        self.announced = 0  # notifications received
        self._token: str | None = None
        self._listening = False
        self._changes = 0  # moves on with every change announced, and whenever listening starts or stops
        self._task: asyncio.Task[None] | None = None

    def known(self) -> str | None:
        """The current token if the watch can vouch for it, else None (read it with ``read``)."""
        return self._token if self._listening else None

    async def read(self, reads: Reads) -> str:
        """The token from the table, kept if nothing changed while it was read and the watch was listening all along."""
        before, listening = self._changes, self._listening
        value = await token(reads)
        if listening and self._listening and self._changes == before:
            self._token = value
        return value

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="checkpoint-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _changed(self) -> None:
        self._changes += 1
        self._token = None

    def _announced(self, *_: Any) -> None:
        self.announced += 1
        self._changed()

    def _stopped_listening(self) -> None:
        self._listening = False
        self._changed()

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                log.warning("checkpoint watch lost its connection", error=repr(exc)[:200])
            await asyncio.sleep(self.retry_seconds)

    async def _listen(self) -> None:
        """Listen until the connection is lost or fails its periodic check."""
        connection = await asyncpg.connect(
            self.dsn,
            timeout=self.check_seconds,
            server_settings={"search_path": f"{self.schema},public", "application_name": self.application_name},
        )
        lost = asyncio.Event()

        def ended(_: Any) -> None:
            self._stopped_listening()
            lost.set()

        try:
            connection.add_termination_listener(ended)
            await connection.add_listener(CHANNEL, self._announced)
            self._changed()  # a read begun before now may have missed a change: not kept
            self._listening = True
            unannounced = 0
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), self.check_seconds)
                if lost.is_set():
                    raise ConnectionError("the connection closed")
                current = token_of(await connection.fetch(TOKEN_SQL, timeout=self.check_seconds))
                if self._token is not None and self._token != current:
                    # Once may be a change whose notification is on its way; twice running, none are coming.
                    unannounced += 1
                    if unannounced == 2:
                        log.warning("checkpoint changes are not announced: is LISTEN passed through?")
                    self._changed()
                else:
                    unannounced = 0
        finally:
            self._stopped_listening()
            connection.terminate()
