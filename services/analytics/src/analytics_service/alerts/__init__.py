"""System alerts: low stock, failed syncs and revenue drops, with list and acknowledge."""
