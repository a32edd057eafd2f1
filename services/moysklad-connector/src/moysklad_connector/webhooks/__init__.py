"""MoySklad webhooks: a fast, de-duplicated receiver that hints the scheduler, and their registration."""
