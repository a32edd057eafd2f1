#!/usr/bin/env bash
# Runs once, when the PostgreSQL volume is first initialised (docker-entrypoint-initdb.d).
# One login role per service, owning exactly one schema (docs/architecture.md, "Processes and ports (development)":
# "each service connects with a role that can touch only its own schema"); a read-only role for Grafana's business
# dashboards.
set -euo pipefail

create_service_role() { # <role> <password> <schema>
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
        -v role="$1" -v password="$2" -v schema="$3" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'role', :'password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('CREATE SCHEMA IF NOT EXISTS %I AUTHORIZATION %I', :'schema', :'role') \gexec
-- CONNECT and CREATE on the database: migrations run `CREATE SCHEMA IF NOT EXISTS <own schema>`, which PostgreSQL
-- checks against the database privilege even when the schema exists. Other schemas stay closed: no USAGE on them.
SELECT format('GRANT CONNECT, CREATE ON DATABASE %I TO %I', current_database(), :'role') \gexec
SELECT format('ALTER ROLE %I SET search_path = %I', :'role', :'schema') \gexec
SQL
}

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -c "REVOKE ALL ON SCHEMA public FROM PUBLIC" -c "REVOKE CREATE ON DATABASE \"$POSTGRES_DB\" FROM PUBLIC"

create_service_role auth_svc "${POSTGRES_AUTH_PASSWORD:?}" auth
create_service_role catalog_svc "${POSTGRES_CATALOG_PASSWORD:?}" catalog
create_service_role inventory_svc "${POSTGRES_INVENTORY_PASSWORD:?}" inventory
create_service_role analytics_svc "${POSTGRES_ANALYTICS_PASSWORD:?}" analytics
create_service_role connector_svc "${POSTGRES_CONNECTOR_PASSWORD:?}" moysklad
create_service_role bitrix24_svc "${POSTGRES_BITRIX24_PASSWORD:?}" bitrix24

# Grafana reads the business KPIs (analytics sales, inventory low stock) and nothing else.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v password="${POSTGRES_GRAFANA_PASSWORD:?}" <<'SQL'
SELECT format('CREATE ROLE grafana_reader LOGIN PASSWORD %L', :'password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'grafana_reader') \gexec
GRANT USAGE ON SCHEMA analytics, inventory TO grafana_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE analytics_svc IN SCHEMA analytics GRANT SELECT ON TABLES TO grafana_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE inventory_svc IN SCHEMA inventory GRANT SELECT ON TABLES TO grafana_reader;
-- postgres_exporter reads the statistics views.
SELECT format('CREATE ROLE postgres_exporter LOGIN PASSWORD %L', :'password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'postgres_exporter') \gexec
GRANT pg_monitor TO postgres_exporter;
SQL
