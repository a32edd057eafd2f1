"""Stock levels per product or variant and store."""
