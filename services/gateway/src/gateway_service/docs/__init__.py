"""One OpenAPI document for the whole public API, merged from the services' own documents."""
