"""The whole-system tier. Its helpers (e2e_harness, ...) are importable by name: this directory and its tiers' are on
pytest's pythonpath in the root pyproject (docs/architecture.md, "Tests")."""
