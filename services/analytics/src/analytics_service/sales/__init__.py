"""Sales facts per document position, their daily roll-ups, the orders pipeline and the sales report."""
