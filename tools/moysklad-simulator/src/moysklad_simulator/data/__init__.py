"""Deterministic generation of a believable Russian shop."""
