"""Where tests find the infrastructure, and ports for the processes of a test system: distinct, free, out of the way."""

from __future__ import annotations

import socket

import pytest

from crm_testing import free_port, infra, redis_url
from crm_testing.infra import _ephemeral_range


def test_ports_handed_out_are_never_handed_out_again() -> None:
    ports = [free_port() for _ in range(3_000)]
    assert len(set(ports)) == len(ports)


def test_a_port_handed_out_can_be_bound_and_lies_below_the_range_of_outgoing_connections() -> None:
    low, _ = _ephemeral_range()
    port = free_port()
    assert port < low
    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
        server.listen()


def test_a_port_something_listens_on_is_passed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    low, _ = _ephemeral_range()
    draw = infra.random.randrange
    with socket.socket() as taken:
        busy = next(p for p in range(low - 1, 10_000, -1) if _binds(taken, p))
        taken.listen()
        drawn: list[int] = []
        forced = iter([busy, busy])  # the busy port drawn twice, then the real draws

        def randrange(*bounds: int) -> int:
            drawn.append(next(forced, None) or draw(*bounds))
            return drawn[-1]

        monkeypatch.setattr(infra.random, "randrange", randrange)
        port = free_port()
        assert drawn[:2] == [busy, busy]
        assert port != busy
        assert port == drawn[-1]


def _binds(sock: socket.socket, port: int) -> bool:
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        return False
    return True


def test_the_test_redis_is_the_running_systems_redis_with_a_database_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The infra may run on other ports (INFRA_REDIS_PORT): REDIS_URL says where; tests never use database 0.
    monkeypatch.delenv("TEST_REDIS_URL", raising=False)
    monkeypatch.setenv("REDIS_URL", "redis://:secret@127.0.0.1:24379/0")
    assert redis_url() == "redis://:secret@127.0.0.1:24379/15"
    assert redis_url(14) == "redis://:secret@127.0.0.1:24379/14"
    monkeypatch.delenv("REDIS_URL")
    assert redis_url(14) == "redis://127.0.0.1:6379/14"
    monkeypatch.setenv("TEST_REDIS_URL", "redis://10.0.0.1:6380/3")
    assert redis_url(14) == "redis://10.0.0.1:6380/3"
