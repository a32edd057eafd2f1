"""The plugin as a service's suite meets it: a pytest run of its own (the plugin loads through its entry point) over a
throwaway service with real migrations on the test database (docs/architecture.md, "Tests")."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from crm_testing import ServiceUnderTest

INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = session
asyncio_default_test_loop_scope = session
pythonpath = .
addopts = -p no:cacheprovider
"""

TABLES = """
from sqlalchemy import Column, Integer, MetaData, Table

SCHEMA = "{schema}"
metadata = MetaData(schema=SCHEMA)
items = Table("items", metadata, Column("id", Integer, primary_key=True))
processed_events = Table("processed_events", metadata, Column("id", Integer, primary_key=True))


def load_metadata() -> MetaData:
    return metadata
"""

ENV = """
from probe_tables import SCHEMA, metadata

from crm_common.migrations import run_migrations

run_migrations(metadata, SCHEMA, "")
"""

REVISION = """
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table("items", sa.Column("id", sa.Integer, primary_key=True), schema="{schema}")
    op.create_table("processed_events", sa.Column("id", sa.Integer, primary_key=True), schema="{schema}")


def downgrade() -> None:
    op.drop_table("processed_events", schema="{schema}")
    op.drop_table("items", schema="{schema}")
"""

DESCRIPTOR = """
from pathlib import Path

from probe_tables import SCHEMA, load_metadata

from crm_testing import ServiceUnderTest

SERVICE_UNDER_TEST = ServiceUnderTest(
    name="probe", root=Path(__file__).parent, schema=SCHEMA, settings=dict, metadata=load_metadata,
    keep_tables=("processed_events",),
)
"""


def probe_service(root: Path, conftest: str, tests: str) -> str:
    """Write a service with one migration, a conftest and a test module into ``root``; return its schema."""
    schema = f"probe_{uuid.uuid4().hex[:8]}"
    (root / "migrations" / "versions").mkdir(parents=True)
    (root / "pytest.ini").write_text(INI)
    (root / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s/migrations\n")
    (root / "probe_tables.py").write_text(TABLES.format(schema=schema))
    (root / "migrations" / "env.py").write_text(ENV)
    (root / "migrations" / "versions" / "0001_probe.py").write_text(REVISION.format(schema=schema))
    (root / "conftest.py").write_text(textwrap.dedent(conftest))
    (root / "test_probe.py").write_text(textwrap.dedent(tests))
    return schema


def run(root: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(root), "-q"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_a_descriptor_gives_migrations_sessions_and_a_clean_that_keeps_what_it_is_told(tmp_path: Path) -> None:
    schema = probe_service(
        tmp_path,
        DESCRIPTOR,
        """
        from sqlalchemy import text


        async def test_rows_are_written(sessions):
            async with sessions() as s, s.begin():
                await s.execute(text("insert into items values (1), (2)"))
                await s.execute(text("insert into processed_events values (7)"))


        async def test_clean_empties_the_tables_but_the_kept_ones(clean, sessions):
            async with sessions() as s:
                assert (await s.execute(text("select count(*) from items"))).scalar_one() == 0
                assert (await s.execute(text("select id from processed_events"))).scalar_one() == 7


        async def test_a_rolled_back_session_leaves_nothing(session, sessions):
            await session.execute(text("insert into items values (3)"))


        async def test_so_nothing_survived_it(sessions):
            async with sessions() as s:
                assert (await s.execute(text("select count(*) from items"))).scalar_one() == 0


        def test_the_environment_points_at_the_test_infrastructure(database_url):
            import os

            assert os.environ["DATABASE_URL"] == database_url
            assert database_url.rsplit("/", 1)[1].startswith("crm_test")
            assert os.environ["KAFKA_TOPIC_PREFIX"].startswith("test-")
            assert os.environ["ENVIRONMENT"] == "test"
        """,
    )
    try:
        done = run(tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "5 passed" in done.stdout, done.stdout
    finally:
        drop_schema(schema)


def test_a_fixture_the_conftest_defines_wins_over_the_generated_one(tmp_path: Path) -> None:
    probe_service(
        tmp_path,
        DESCRIPTOR + '\n\nimport pytest\n\n\n@pytest.fixture\ndef mint():\n    return "the conftest\'s own"\n',
        """
        from crm_testing import TokenMint


        def test_own(mint, settings):
            assert mint == "the conftest's own"
            assert settings == {}
        """,
    )
    done = run(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_descriptor_of_another_type_is_refused_with_its_name(tmp_path: Path) -> None:
    probe_service(tmp_path, 'SERVICE_UNDER_TEST = {"name": "probe"}\n', "def test_nothing():\n    pass\n")
    done = run(tmp_path)
    assert done.returncode != 0
    assert "SERVICE_UNDER_TEST must be a crm_testing.ServiceUnderTest, not dict" in done.stdout + done.stderr


def test_a_conftest_name_that_would_hide_a_shared_fixture_is_refused(tmp_path: Path) -> None:
    probe_service(tmp_path, DESCRIPTOR + "\nimport redis\n", "def test_nothing():\n    pass\n")
    done = run(tmp_path)
    assert done.returncode != 0
    assert "'redis' is the name of a shared fixture; rename this module" in done.stdout + done.stderr


def test_clean_without_tables_says_so(tmp_path: Path) -> None:
    probe_service(
        tmp_path,
        DESCRIPTOR.replace("metadata=load_metadata,", ""),
        "async def test_cleaning(clean):\n    pass\n",
    )
    done = run(tmp_path)
    assert done.returncode != 0
    assert "ServiceUnderTest 'probe' names no metadata" in done.stdout + done.stderr


def test_a_root_without_alembic_ini_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"no alembic\.ini"):
        ServiceUnderTest(name="probe", root=tmp_path, schema="probe", settings=dict)


def drop_schema(schema: str) -> None:
    import asyncio

    from sqlalchemy import text

    from crm_common.db import create_engine
    from crm_testing import test_database_url

    async def drop() -> None:
        engine = create_engine(test_database_url(), schema, pool_size=1)
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await engine.dispose()

    asyncio.run(drop())
