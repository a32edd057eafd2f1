"""Projection checkpoints and the locks around them: below every feature's projection, which moves its checkpoint in
the transaction that writes its rows."""
