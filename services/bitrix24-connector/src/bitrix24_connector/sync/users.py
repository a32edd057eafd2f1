"""Names of the people deals are assigned to (``ASSIGNED_BY_ID``), read with ``user.get`` (docs/bitrix24.md, "Users").

A job keeps the names it has read (per client: one client per job). An id it has not seen yet is asked for with the
others of its page in one ``user.get`` filtered by ``@ID``, so a person hired since the last read is found on the page
that first names them. An id ``user.get`` does not list (the method leaves out bots and integrators) keeps no name,
and is logged; its deals are published with the id alone.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable

from bitrix24_connector.client import Bitrix24Client
from bitrix24_connector.log import log
from bitrix24_connector.mapping.history import user_name

_NAMES: weakref.WeakKeyDictionary[Bitrix24Client, dict[str, str | None]] = weakref.WeakKeyDictionary()


async def responsible_names(client: Bitrix24Client, ids: Iterable[str]) -> dict[str, str | None]:
    """The name of each of ``ids``; asks the portal only about ids this job has not read yet."""
    known = _NAMES.setdefault(client, {})
    wanted = {i for i in ids if i}
    unknown = sorted(wanted - set(known), key=lambda i: (len(i), i))
    if unknown:
        found = await _read(client, unknown)
        missing = [i for i in unknown if i not in found]
        if missing:
            log.warning("bitrix24 users not listed by user.get", ids=missing)
        known.update({i: found.get(i) for i in unknown})
    return {i: known[i] for i in wanted}


async def _read(client: Bitrix24Client, ids: list[str]) -> dict[str, str | None]:
    names: dict[str, str | None] = {}
    start: int | None = 0
    while start is not None:
        envelope = await client.call("user.get", {"FILTER": {"@ID": ids}, "start": start})
        for user in envelope.result or []:
            names[str(user["ID"])] = user_name(user)
        start = envelope.next
    return names
