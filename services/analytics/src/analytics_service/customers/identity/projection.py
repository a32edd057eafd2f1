"""Use cases of customer identity: keep each counterparty's customer current, and the admins' merge and split.

``refresh`` runs in the same transaction as the counterparty rows it follows (the projection batch calls it with the
ids it changed): the keys of those counterparties are rewritten from their rows, then the neighbourhood that can
change (their current customers, everyone sharing a key with them, everyone a decision names with them — grown
until nothing new joins) is resolved again. ``resolve_all`` does the same for every counterparty at once (after a
rebuild's load, or on demand).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.checkpoints.repository import advance
from analytics_service.customers.identity.keys import Key
from analytics_service.customers.identity.models import CustomerMember
from analytics_service.customers.identity.repository import IdentityRepository
from analytics_service.customers.identity.resolve import DEFAULT_CROWDED, Decision, DecisionKind, Resolution, resolve
from analytics_service.customers.projection import PROJECTION
from crm_common.errors import Conflict, NotFound, ValidationFailed


async def refresh(session: AsyncSession, changed: Collection[str], *, crowded: int = DEFAULT_CROWDED) -> Resolution:
    """Re-resolve the customers the counterparties ``changed`` (upserted or deleted) can affect."""
    repo = IdentityRepository(session)
    changed = set(changed)
    await repo.replace_keys(changed, await repo.counterparty_keys(changed))
    component: set[str] = set()
    ignored: set[Key] = set()
    frontier = changed
    while frontier:
        component |= frontier
        keys = set().union(*(await repo.stored_keys(frontier)).values())
        held, crowded_keys = await repo.holders(keys, crowded)
        ignored |= crowded_keys
        reached = {cid for ids in held.values() for cid in ids}
        reached |= await repo.fellow_members(frontier)
        for d in await repo.decisions(frontier):
            reached |= {d.counterparty_id} | ({d.other_id} if d.other_id else set())
        frontier = reached - component
    resolution = resolve(
        await repo.counterparty_keys(component), await repo.decisions(component), crowded=crowded, ignored=ignored
    )
    await repo.replace_members(component, resolution.members)
    return resolution


async def resolve_all(session: AsyncSession, *, crowded: int = DEFAULT_CROWDED) -> Resolution:
    """Every counterparty's keys and customer, from the counterparty rows and the decisions."""
    repo = IdentityRepository(session)
    keys = await repo.all_keys()
    await repo.replace_keys(keys, keys)
    resolution = resolve(keys, await repo.decisions(), crowded=crowded)
    await repo.replace_all_members(resolution.members)
    return resolution


async def merge(session: AsyncSession, ids: list[str], decided_by: str, reason: str) -> list[CustomerMember]:
    """Make the counterparties ``ids`` one customer, whatever their keys say; the members of that customer."""
    wanted = list(dict.fromkeys(ids))
    if len(wanted) < 2:
        raise ValidationFailed("name at least two different counterparties to merge")
    repo = IdentityRepository(session)
    missing = sorted(set(wanted) - set(await repo.counterparty_keys(wanted)))
    if missing:
        raise NotFound(f"no counterparty {', '.join(missing)}")
    now = datetime.now(UTC)
    for other in wanted[1:]:
        await repo.add_decision(Decision(DecisionKind.MERGE, wanted[0], other, now), decided_by, reason)
    await refresh(session, wanted)
    await advance(session, PROJECTION, None)  # cached reports over customers are stale now
    return await repo.members_of(wanted[0])


async def split(session: AsyncSession, counterparty_id: str, decided_by: str, reason: str) -> list[CustomerMember]:
    """Take a counterparty out of its customer: it stands alone from now on; the members of its own customer."""
    repo = IdentityRepository(session)
    if not await repo.counterparty_keys([counterparty_id]):
        raise NotFound(f"no counterparty {counterparty_id}")
    if len(await repo.members_of(counterparty_id)) <= 1:
        raise Conflict(f"counterparty {counterparty_id} is already a customer of its own")
    await repo.add_decision(Decision(DecisionKind.SPLIT, counterparty_id, None, datetime.now(UTC)), decided_by, reason)
    await refresh(session, [counterparty_id])
    await advance(session, PROJECTION, None)
    return await repo.members_of(counterparty_id)
