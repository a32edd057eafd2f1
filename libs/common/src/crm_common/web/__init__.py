"""FastAPI building blocks every service uses: app factory, errors, request ids, metrics, health."""
