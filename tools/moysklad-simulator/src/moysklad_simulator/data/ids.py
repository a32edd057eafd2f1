"""Seeded identifiers that look like MoySklad's: v1-like UUIDs and 22-char external codes."""

from __future__ import annotations

import random
import string

_ALNUM = string.ascii_letters + string.digits


class IdFactory:
    """Makes ids from its own ``random.Random`` so runs with one seed produce the same ids."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._node = rng.getrandbits(32)
        self._counter = 0

    def uuid(self) -> str:
        """A time-based-looking UUID such as ``51bb185a-b0e7-11ea-ac12-000d0000012a``."""
        self._counter += 1
        rnd = self._rng.getrandbits(48)
        return (
            f"{rnd >> 16:08x}-{rnd & 0xFFFF:04x}-11{self._rng.getrandbits(8):02x}-"
            f"{0x8000 | (self._counter >> 16 & 0x3FFF):04x}-{self._node:08x}{self._counter & 0xFFFF:04x}"
        )

    def external_code(self) -> str:
        """Auto-generated externalCode: 22 random letters and digits (docs/moysklad.md, "Identifiers")."""
        return "".join(self._rng.choices(_ALNUM, k=22))
