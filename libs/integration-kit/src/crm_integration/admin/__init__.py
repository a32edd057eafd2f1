"""The admin HTTP API every connector serves: its integrations (credentials encrypted, never returned) with their
sync status. Route handlers are the kit's; the source supplies its credential schema (crm_integration.admin.
integrations.CredentialSchema)."""
