"""Sync jobs: full and incremental paging of MoySklad, publishing canonical events."""
