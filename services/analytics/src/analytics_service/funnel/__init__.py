"""The sales funnel: pipelines and deals from a CRM (Bitrix24), and the funnel report over them."""
