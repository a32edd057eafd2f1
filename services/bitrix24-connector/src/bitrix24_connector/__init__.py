"""The Bitrix24 connector: contacts, companies, deal funnels and deals as canonical events, on the integration kit."""
