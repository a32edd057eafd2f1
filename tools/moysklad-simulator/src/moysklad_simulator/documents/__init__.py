"""Documents (orders, shipments, receipts, ...) and their positions."""
