"""Integrations: where a MoySklad account is and how to log in, with credentials encrypted at rest."""
