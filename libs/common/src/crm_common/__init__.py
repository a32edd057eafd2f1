"""What every service of the CRM shares: settings, logging, database, events, messaging, security, web."""
