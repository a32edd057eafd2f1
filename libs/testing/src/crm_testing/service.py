"""The descriptor a service's ``tests/conftest.py`` declares; the plugin builds the service's fixtures from it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData

from crm_common.events.topics import Topic


@dataclass(frozen=True)
class ServiceUnderTest:
    """What the shared fixtures need to know about one service (docs/architecture.md, "Tests").

    A conftest states it as ``SERVICE_UNDER_TEST = ServiceUnderTest(...)``; the plugin then gives that directory
    ``database_url``, ``migrated``, ``engine``, ``sessions``, ``session``, ``clean``, ``settings``, ``mint``,
    ``topics``, ``consumer_group``, ``producer``, ``broker`` and ``redis``, plus ``api_url``, ``pipeline_url`` and
    ``client`` when ``app`` is given. A fixture the conftest defines itself wins over the generated one.
    """

    name: str
    """Short name: the consumer group (``<prefix><name>``) and the test broker's client id (``<name>-tests``)."""
    root: Path
    """The service's directory: ``alembic.ini`` and ``migrations/`` (its ``SERVICE_ROOT``)."""
    schema: str
    """The PostgreSQL schema the service owns."""
    settings: Callable[..., Any]
    """The settings class (or a factory taking keyword overrides) the ``settings`` fixture and the apps are built
    from."""
    metadata: Callable[[], MetaData] | None = None
    """The service's tables (its ``load_metadata``), for ``clean``; without it ``clean`` is refused."""
    keep_tables: tuple[str, ...] = ()
    """Tables ``clean`` leaves alone (an inbox a running consumer still relies on, an outbox)."""
    app: Callable[..., Any] | None = None
    """``create_app(settings, token_verifier=...)``: served for ``api_url`` (``consume_events=False``) and
    ``pipeline_url`` (``consume_events=True``)."""
    permissions: tuple[str, ...] = ()
    """What the ``client`` fixture's token holds."""
    topics: tuple[Topic, ...] | None = None
    """The topics ``topics`` creates; ``None``: every topic of the event contract."""
    pool_size: int = 2
    redis: bool = False
    """Point ``REDIS_URL`` at the test Redis as well."""
    environment: Mapping[str, str] = field(default_factory=dict)
    """More environment variables the service's settings read in tests (set before any test module is imported)."""

    def __post_init__(self) -> None:
        if not (self.root / "alembic.ini").is_file():
            raise ValueError(
                f"ServiceUnderTest {self.name!r}: no alembic.ini in {self.root} (root must be the service's directory)"
            )
        if not self.schema:
            raise ValueError(f"ServiceUnderTest {self.name!r}: schema is empty")
