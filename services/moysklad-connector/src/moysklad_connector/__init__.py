"""MoySklad connector: pulls a MoySklad account over its JSON API 1.2 and publishes canonical events."""
