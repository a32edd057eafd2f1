"""Which counterparties are one customer: connected components over shared keys and admin decisions.

Two counterparties (of any source) are the same customer when they share an identity key, directly or through a
chain of others. An admin corrects the result with decisions, applied in the order they were made:

- ``merge(a, b)``: a and b are one customer, whatever their keys say;
- ``split(a)``: a stands alone: its keys no longer join it to anyone, and earlier merges that involved it are void
  (a later merge can join it to someone again, by that decision only).

A key that many counterparties share (a shop's own phone typed into every order, ``info@`` of a holding) identifies
nobody: past ``crowded`` holders it is ignored, and reported so an admin can see why those stayed apart.

Each member records why it is in its customer: the strongest key it shares with another member (INN, then phone,
then e-mail), ``merge`` when only a decision holds it there, ``self`` when it is alone. The customer's id is the
smallest counterparty id among its members, so the same input always gives the same ids.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from analytics_service.customers.identity.keys import STRENGTH, Key

DEFAULT_CROWDED = 20


class DecisionKind(StrEnum):
    MERGE = "merge"
    SPLIT = "split"


@dataclass(frozen=True)
class Decision:
    kind: DecisionKind
    counterparty_id: str
    other_id: str | None  # the second counterparty of a merge
    decided_at: datetime


@dataclass(frozen=True)
class Member:
    customer_id: str
    matched_by: str  # inn | phone | email | merge | self
    matched_value: str | None


@dataclass(frozen=True)
class Resolution:
    members: dict[str, Member]
    crowded_keys: list[Key]


class _Components:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:  # path compression
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def effective_decisions(decisions: Iterable[Decision]) -> tuple[set[str], list[tuple[str, str]]]:
    """(the counterparties that stand alone, the merges still in force), replaying decisions oldest first."""
    alone: set[str] = set()
    merges: list[tuple[str, str]] = []
    for d in sorted(decisions, key=lambda d: d.decided_at):
        if d.kind is DecisionKind.SPLIT:
            alone.add(d.counterparty_id)
            merges = [m for m in merges if d.counterparty_id not in m]
        elif d.other_id is not None:
            merges.append((d.counterparty_id, d.other_id))
    return alone, merges


def resolve(
    keys: Mapping[str, set[Key]],
    decisions: Iterable[Decision] = (),
    *,
    crowded: int = DEFAULT_CROWDED,
    ignored: Collection[Key] = (),
) -> Resolution:
    """Members of every counterparty in ``keys`` (the ones only a decision names are left out).

    ``ignored``: keys known to be crowded beyond the counterparties given (resolving one neighbourhood of a larger
    set, the holders outside it are not counted here).
    """
    alone, merges = effective_decisions(decisions)
    holders: dict[Key, list[str]] = defaultdict(list)
    for counterparty_id, own in keys.items():
        if counterparty_id not in alone:
            for key in own:
                holders[key].append(counterparty_id)
    crowded_keys = sorted(k for k, ids in holders.items() if len(ids) > crowded or k in ignored)
    shared = {k: ids for k, ids in holders.items() if 1 < len(ids) <= crowded and k not in ignored}

    components = _Components()
    for counterparty_id in keys:
        components.find(counterparty_id)
    for ids in shared.values():
        for other in ids[1:]:
            components.union(ids[0], other)
    for a, b in merges:
        if a in keys and b in keys:
            components.union(a, b)

    # Why each member is there: the strongest key it shares with another member of its component.
    reason: dict[str, tuple[int, Key]] = {}
    for key, ids in shared.items():
        rank = STRENGTH.index(key.kind)
        for counterparty_id in ids:
            if counterparty_id not in reason or (rank, key) < reason[counterparty_id]:
                reason[counterparty_id] = (rank, key)

    members: dict[str, Member] = {}
    sizes: dict[str, int] = defaultdict(int)
    for counterparty_id in keys:
        sizes[components.find(counterparty_id)] += 1
    for counterparty_id in keys:
        root = components.find(counterparty_id)
        if sizes[root] == 1:
            members[counterparty_id] = Member(root, "self", None)
        elif counterparty_id in reason:
            key = reason[counterparty_id][1]
            members[counterparty_id] = Member(root, key.kind.value, key.value)
        else:  # in a larger component without a shared key: a merge decision holds it there
            members[counterparty_id] = Member(root, "merge", None)
    return Resolution(members, crowded_keys)
