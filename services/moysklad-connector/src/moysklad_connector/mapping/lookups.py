"""Small reference tables a mapper needs to resolve ``meta`` links into canonical values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from moysklad_connector.mapping.common import ref_id


@dataclass
class Lookups:
    """Units of measure by id → name, currencies by id → ISO code, variants by id → parent product id."""

    uoms: dict[str, str] = field(default_factory=dict)
    currencies: dict[str, str] = field(default_factory=dict)
    variant_products: dict[str, str] = field(default_factory=dict)
    states: dict[str, str] = field(default_factory=dict)
    default_currency: str = "RUB"

    def uom_name(self, ref: Any) -> str | None:
        uom = ref_id(ref)
        return None if uom is None else self.uoms.get(uom, uom)

    def currency(self, ref: Any) -> str:
        currency = ref_id(ref)
        return self.currencies.get(currency, self.default_currency) if currency else self.default_currency

    def add_currencies(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            iso = row.get("isoCode")
            if isinstance(iso, str) and len(iso) == 3 and isinstance(row.get("id"), str):
                self.currencies[row["id"]] = iso
                if row.get("default"):
                    self.default_currency = iso

    def add_uoms(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            if isinstance(row.get("id"), str) and isinstance(row.get("name"), str):
                self.uoms[row["id"]] = row["name"]
