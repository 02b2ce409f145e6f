-- Balmer's roles, as plain SQL (the same grant as `balmer db grant`).
-- A writer for the daemon (read/write every table, no DDL, no writes to balmer_migrations) and a
-- read-only role for downstream tools. Run as a superuser, in the Balmer database, after
-- `balmer db migrate`, with the schema first on the search_path:
--
--   psql "$BALMER_DATABASE_URL" -v ON_ERROR_STOP=1 \
--        -v writer=balmer_writer -v reader=balmer_reader -v schema=public -f ops/sql/roles.sql
--   then set passwords interactively:  \password balmer_writer   and   \password balmer_reader
--
-- Names travel as settings and are quoted with format('%I'); no SQL is built from text here.
\set ON_ERROR_STOP on
\o /dev/null
SELECT set_config('search_path', :'schema', false);
BEGIN;
SELECT set_config('balmer.writer_role', :'writer', true),
       set_config('balmer.reader_role', :'reader', true);
\o
DO $grant$
DECLARE
    w text := current_setting('balmer.writer_role');
    r text := current_setting('balmer.reader_role');
    s text := current_schema();
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = w) THEN
        EXECUTE format('CREATE ROLE %I LOGIN', w);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
        EXECUTE format('CREATE ROLE %I LOGIN', r);
    END IF;
    EXECUTE format('ALTER ROLE %I SET default_transaction_read_only = on', r);
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), w);
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), r);
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I, %I', s, w, r);
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO %I', s, r);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', s, w);
    EXECUTE format('REVOKE INSERT, UPDATE, DELETE ON %I.balmer_migrations FROM %I', s, w);
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO %I', s, w);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT ON TABLES TO %I', s, r);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', s, w);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO %I', s, w);
END
$grant$;
COMMIT;
