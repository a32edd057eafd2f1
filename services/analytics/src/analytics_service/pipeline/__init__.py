"""The projection pipeline, above every feature's projection: batches (the live consumer's path), the bulk load,
the replay of topics and the rebuild (docs/architecture.md, "Layers")."""
