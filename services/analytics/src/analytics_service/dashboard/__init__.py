"""The owner's dashboard: a period against the one before."""
