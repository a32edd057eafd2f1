"""Projection bookkeeping: checkpoints, the shared replay lock, and the rebuild."""
