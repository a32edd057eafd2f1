"""The streaming reverse proxy to the services."""
