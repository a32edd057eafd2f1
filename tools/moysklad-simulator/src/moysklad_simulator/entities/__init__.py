"""Reference entities (catalogue, counterparties, stores, ...): HTTP routes and rendering."""
