"""``GET /api/v1/admin/health``: the whole system's health in one answer."""
