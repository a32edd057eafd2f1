"""Analytics service: sales, stock and customer projections fed by canonical events, and the reports on them."""
