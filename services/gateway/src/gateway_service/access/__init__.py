"""Who may pass: token verification, session revocation, permissions, rate limits."""
