"""MoySklad JSON → canonical events (contract version 1, ``crm_common.events.models``).

Conventions, applied by every mapper:
- ``entity_id`` is the MoySklad id, ``account_id`` the MoySklad ``accountId``, ``source`` is ``moysklad``;
- ``source_version`` is ``updated`` (Moscow time, ms precision) as epoch microseconds, and ``occurred_at`` is
  ``updated`` in UTC;
- money: kopecks (float or int in JSON) → exact ``Decimal`` roubles; quantities → ``Decimal`` (never through float
  arithmetic: the JSON number's text is parsed as a decimal);
- references are ids taken from ``meta.href``; no ``meta``/``href`` reaches a payload;
- event ids are ``deterministic_event_id(...)`` so a re-sync of an unchanged object republishes the same event id.
A payload that fails to map raises ``Unmappable`` and is kept as a dead-letter record; the sync goes on.
"""
