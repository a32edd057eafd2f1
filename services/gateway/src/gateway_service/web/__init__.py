"""Gateway-wide HTTP concerns: metrics per route, security headers."""
