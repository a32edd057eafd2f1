"""SQL of the identity tables: keys, members, decisions, and the neighbourhood of a set of counterparties."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping

from sqlalchemy import delete, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from analytics_service.customers.identity.keys import Key, KeyKind, parse_keys
from analytics_service.customers.identity.models import CustomerDecision, CustomerKey, CustomerMember
from analytics_service.customers.identity.resolve import Decision, DecisionKind, Member
from analytics_service.customers.models import CounterpartyDim

_CHUNK = 5_000  # rows per statement when a whole table is rewritten


class IdentityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def counterparty_keys(self, ids: Collection[str]) -> dict[str, set[Key]]:
        """The keys of the live counterparties among ``ids`` (deleted or unknown ones are absent)."""
        rows = await self.session.execute(
            select(CounterpartyDim.id, CounterpartyDim.identity_keys).where(
                CounterpartyDim.id.in_(list(ids)), CounterpartyDim.deleted.is_(False)
            )
        )
        return {r.id: parse_keys(r.identity_keys) for r in rows}

    async def replace_keys(self, ids: Collection[str], keys: Mapping[str, set[Key]]) -> None:
        """The key rows of ``ids`` become exactly ``keys`` (an id without keys loses its rows)."""
        await self.session.execute(delete(CustomerKey).where(CustomerKey.counterparty_id.in_(list(ids))))
        rows = [
            {"counterparty_id": cid, "kind": k.kind.value, "value": k.value} for cid, own in keys.items() for k in own
        ]
        for start in range(0, len(rows), _CHUNK):
            await self.session.execute(insert(CustomerKey).values(rows[start : start + _CHUNK]))

    async def stored_keys(self, ids: Collection[str]) -> dict[str, set[Key]]:
        rows = await self.session.execute(
            select(CustomerKey.counterparty_id, CustomerKey.kind, CustomerKey.value).where(
                CustomerKey.counterparty_id.in_(list(ids))
            )
        )
        keys: dict[str, set[Key]] = defaultdict(set)
        for r in rows:
            keys[r.counterparty_id].add(Key(KeyKind(r.kind), r.value))
        return keys

    async def holders(self, keys: Collection[Key], crowded: int) -> tuple[dict[Key, list[str]], set[Key]]:
        """Who holds each of ``keys``, and which of them are crowded (held by more than ``crowded``)."""
        if not keys:
            return {}, set()
        pairs = [(k.kind.value, k.value) for k in keys]
        counts = await self.session.execute(
            select(CustomerKey.kind, CustomerKey.value, func.count())
            .where(tuple_(CustomerKey.kind, CustomerKey.value).in_(pairs))
            .group_by(CustomerKey.kind, CustomerKey.value)
        )
        crowded_keys = {Key(KeyKind(r[0]), r[1]) for r in counts if r[2] > crowded}
        open_pairs = [p for p in pairs if Key(KeyKind(p[0]), p[1]) not in crowded_keys]
        held: dict[Key, list[str]] = defaultdict(list)
        if open_pairs:
            rows = await self.session.execute(
                select(CustomerKey.kind, CustomerKey.value, CustomerKey.counterparty_id).where(
                    tuple_(CustomerKey.kind, CustomerKey.value).in_(open_pairs)
                )
            )
            for r in rows:
                held[Key(KeyKind(r.kind), r.value)].append(r.counterparty_id)
        return held, crowded_keys

    async def crowded_keys(self, crowded: int) -> set[Key]:
        rows = await self.session.execute(
            select(CustomerKey.kind, CustomerKey.value)
            .group_by(CustomerKey.kind, CustomerKey.value)
            .having(func.count() > crowded)
        )
        return {Key(KeyKind(r.kind), r.value) for r in rows}

    async def fellow_members(self, ids: Collection[str]) -> set[str]:
        """Every member of the customers ``ids`` belong to now."""
        customers = select(CustomerMember.customer_id).where(CustomerMember.counterparty_id.in_(list(ids)))
        rows = await self.session.execute(
            select(CustomerMember.counterparty_id).where(CustomerMember.customer_id.in_(customers))
        )
        return set(rows.scalars())

    async def decisions(self, ids: Collection[str] | None = None) -> list[Decision]:
        """Decisions naming any of ``ids`` (all of them when None), oldest first."""
        query = select(CustomerDecision).order_by(CustomerDecision.decided_at, CustomerDecision.id)
        if ids is not None:
            wanted = list(ids)
            query = query.where(
                or_(CustomerDecision.counterparty_id.in_(wanted), CustomerDecision.other_id.in_(wanted))
            )
        rows = (await self.session.execute(query)).scalars()
        return [Decision(DecisionKind(r.kind), r.counterparty_id, r.other_id, r.decided_at) for r in rows]

    async def replace_members(self, ids: Collection[str], members: Mapping[str, Member]) -> None:
        """The membership rows of ``ids`` become exactly ``members`` (ids not in it lose theirs)."""
        await self.session.execute(delete(CustomerMember).where(CustomerMember.counterparty_id.in_(list(ids))))
        await self._insert_members(members)

    async def replace_all_members(self, members: Mapping[str, Member]) -> None:
        await self.session.execute(delete(CustomerMember))
        await self._insert_members(members)

    async def _insert_members(self, members: Mapping[str, Member]) -> None:
        rows = [
            {
                "counterparty_id": cid,
                "customer_id": m.customer_id,
                "matched_by": m.matched_by,
                "matched_value": m.matched_value,
            }
            for cid, m in members.items()
        ]
        for start in range(0, len(rows), _CHUNK):
            await self.session.execute(insert(CustomerMember).values(rows[start : start + _CHUNK]))

    async def all_keys(self) -> dict[str, set[Key]]:
        """Every live counterparty's keys (counterparties without keys included, with none)."""
        rows = await self.session.execute(
            select(CounterpartyDim.id, CounterpartyDim.identity_keys).where(CounterpartyDim.deleted.is_(False))
        )
        return {r.id: parse_keys(r.identity_keys) for r in rows}

    async def members_of(self, customer_or_counterparty_id: str) -> list[CustomerMember]:
        """The members of the customer with this id, or of the customer this counterparty belongs to."""
        customer = (
            select(CustomerMember.customer_id)
            .where(
                or_(
                    CustomerMember.customer_id == customer_or_counterparty_id,
                    CustomerMember.counterparty_id == customer_or_counterparty_id,
                )
            )
            .limit(1)
            .scalar_subquery()
        )
        rows = await self.session.execute(
            select(CustomerMember)
            .where(CustomerMember.customer_id == customer)
            .order_by(CustomerMember.counterparty_id)
        )
        return list(rows.scalars())

    async def add_decision(self, decision: Decision, decided_by: str, reason: str) -> None:
        self.session.add(
            CustomerDecision(
                kind=decision.kind.value,
                counterparty_id=decision.counterparty_id,
                other_id=decision.other_id,
                decided_by=decided_by,
                reason=reason,
                decided_at=decision.decided_at,
            )
        )
        await self.session.flush()
