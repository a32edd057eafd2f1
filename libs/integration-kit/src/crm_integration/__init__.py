"""The integration kit: what every source connector needs, whatever the source.

A connector (MoySklad, Bitrix24, ...) supplies its limit policy, entity specs, mapping, credential shape and webhook
verification; the kit supplies the paced HTTP client, sync jobs, cursors, skipped objects, the published-entities
ledger, the scheduler with its lock and takeover, encrypted credentials, webhook hints and tokens. See
docs/integrations.md.
"""
