"""Catalog dimensions (products, variants, folders, stores) as the reports need them."""
