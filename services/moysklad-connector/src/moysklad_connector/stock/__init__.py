"""Stock levels from ``report/stock/bystore``, published as ``stock.changed`` when they change."""
