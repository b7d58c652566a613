-- The labelled PostgreSQL corpus of @strata/lint (see corpus.test.ts for the format).
-- Each case is one migration; `expect` is what a reviewer who knows PostgreSQL's locks would flag,
-- written before looking at what the linter says. Sources: squawk's rule docs (sq:), the
-- strong_migrations README (sm:), the PostgreSQL manual (pg:), strata's own migrations (strata:).

-- case: pg/index-not-concurrent + plain index on an existing table (sq: require-concurrent-index-creation)
-- expect: pg/index-not-concurrent
CREATE INDEX orders_customer_id_idx ON orders (customer_id);

-- case: pg/index-not-concurrent + unique index, schema-qualified (sm: adding an index non-concurrently)
-- expect: pg/index-not-concurrent
CREATE UNIQUE INDEX accounts_email_key ON billing.accounts (lower(email));

-- case: pg/index-not-concurrent + partial index with a quoted table name
-- expect: pg/index-not-concurrent
CREATE INDEX "Events_open_idx" ON "Events" (created_at) WHERE closed_at IS NULL;

-- case: pg/index-not-concurrent - concurrent build in a non-transactional migration
-- transaction: off
-- expect: none
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_status_idx ON orders (status);

-- case: pg/index-not-concurrent - index on a table created by the same migration
-- expect: none
CREATE TABLE invoices (id bigint PRIMARY KEY, customer_id bigint NOT NULL, total numeric(12,2));
CREATE INDEX invoices_customer_id_idx ON invoices (customer_id);

-- case: pg/index-not-concurrent + drop index without concurrently (sq: require-concurrent-index-deletion)
-- expect: pg/index-not-concurrent
DROP INDEX IF EXISTS orders_customer_id_idx;

-- case: pg/index-not-concurrent - drop index concurrently
-- transaction: off
-- expect: none
DROP INDEX CONCURRENTLY IF EXISTS orders_customer_id_idx;

-- case: pg/index-not-concurrent - index created and dropped in the same migration
-- expect: none
CREATE TABLE scratch (id int);
CREATE INDEX scratch_id_idx ON scratch (id);
DROP INDEX scratch_id_idx;

-- case: pg/index-not-concurrent + GIN index on an existing JSONB column
-- expect: pg/index-not-concurrent
CREATE INDEX products_attributes_idx ON products USING GIN (attributes jsonb_path_ops);

-- case: pg/concurrently-in-transaction + concurrent index in a transactional migration (sq: ban-concurrent-index-creation-in-transaction)
-- expect: pg/concurrently-in-transaction
CREATE INDEX CONCURRENTLY users_email_idx ON users (email);

-- case: pg/concurrently-in-transaction + drop index concurrently in a transaction
-- expect: pg/concurrently-in-transaction
DROP INDEX CONCURRENTLY users_email_idx;

-- case: pg/concurrently-in-transaction + reindex concurrently in a transaction
-- expect: pg/concurrently-in-transaction
REINDEX INDEX CONCURRENTLY users_email_idx;

-- case: pg/concurrently-in-transaction + VACUUM in a transaction (pg: VACUUM cannot run inside a transaction block)
-- expect: pg/concurrently-in-transaction
VACUUM ANALYZE users;

-- case: pg/concurrently-in-transaction - ANALYZE alone is allowed in a transaction
-- expect: none
ANALYZE users;

-- case: pg/check-not-valid + check constraint on an existing table (sq: constraint-missing-not-valid)
-- expect: pg/check-not-valid
ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0);

-- case: pg/check-not-valid - check constraint with NOT VALID
-- expect: none
ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;

-- case: pg/check-not-valid - check constraint inside CREATE TABLE
-- expect: none
CREATE TABLE refunds (id bigint PRIMARY KEY, amount numeric NOT NULL, CONSTRAINT refunds_amount_positive CHECK (amount > 0));

-- case: pg/check-not-valid + check on a column added to an existing table
-- expect: pg/check-not-valid
ALTER TABLE orders ADD COLUMN discount numeric CHECK (discount >= 0);

-- case: pg/foreign-key-not-valid + foreign key on an existing table (sq: adding-foreign-key-constraint)
-- expect: pg/foreign-key-not-valid
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);

-- case: pg/foreign-key-not-valid - foreign key with NOT VALID (sm: adding a foreign key)
-- expect: none
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;

-- case: pg/foreign-key-not-valid - foreign key validated in a later migration
-- expect: none
ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;

-- case: pg/foreign-key-not-valid - foreign key on a new table
-- expect: none
CREATE TABLE order_notes (id bigint PRIMARY KEY, order_id bigint NOT NULL);
ALTER TABLE order_notes ADD CONSTRAINT order_notes_order_fk FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE;

-- case: pg/validate-same-transaction + add NOT VALID then validate in one transaction (sq: constraint-missing-not-valid)
-- expect: pg/validate-same-transaction
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;

-- case: pg/validate-same-transaction - add and validate in a non-transactional migration
-- transaction: off
-- expect: none
ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;

-- case: pg/unique-without-index + unique constraint built in place (sq: disallowed-unique-constraint)
-- expect: pg/unique-without-index
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);

-- case: pg/unique-without-index - unique constraint on a concurrently built index (sq: disallowed-unique-constraint, the recommended form)
-- transaction: off
-- expect: none
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;

-- case: pg/unique-without-index + primary key added in place (sq: adding-serial-primary-key-field)
-- expect: pg/unique-without-index
ALTER TABLE legacy_events ADD PRIMARY KEY (id);

-- case: pg/unique-without-index - primary key using an index
-- expect: none
ALTER TABLE legacy_events ADD CONSTRAINT legacy_events_pkey PRIMARY KEY USING INDEX legacy_events_id_idx;

-- case: pg/unique-without-index + exclusion constraint on an existing table
-- expect: pg/unique-without-index
ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (room_id WITH =, during WITH &&);

-- case: pg/unique-without-index - unique column in CREATE TABLE
-- expect: none
CREATE TABLE api_keys (id bigint PRIMARY KEY, token text UNIQUE NOT NULL);

-- case: pg/set-not-null + set not null on an existing column (sq: adding-not-nullable-field)
-- expect: pg/set-not-null
ALTER TABLE users ALTER COLUMN email SET NOT NULL;

-- case: pg/set-not-null - the validated CHECK path (sm: setting NOT NULL on an existing column)
-- given: ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;
-- given: ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;
-- expect: none
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
ALTER TABLE users DROP CONSTRAINT users_email_not_null;

-- case: pg/set-not-null - set not null on a table created in the same migration
-- expect: none
CREATE TABLE sessions (id uuid PRIMARY KEY, user_id bigint);
ALTER TABLE sessions ALTER COLUMN user_id SET NOT NULL;

-- case: pg/set-not-null - drop not null is instant
-- expect: none
ALTER TABLE users ALTER COLUMN nickname DROP NOT NULL;

-- case: pg/add-column-not-null-no-default + required column without a default (sq: adding-required-field)
-- expect: pg/add-column-not-null-no-default
ALTER TABLE "core_recipe" ADD COLUMN "foo" integer NOT NULL;

-- case: pg/add-column-not-null-no-default - required column with a constant default (PostgreSQL 11+: no rewrite)
-- expect: none
ALTER TABLE users ADD COLUMN is_admin boolean NOT NULL DEFAULT false;

-- case: pg/add-column-not-null-no-default - nullable column
-- expect: none
ALTER TABLE users ADD COLUMN middle_name text;

-- case: pg/add-column-not-null-no-default - stored generated column is filled by the server (it rewrites instead)
-- expect: pg/add-column-rewrite
ALTER TABLE orders ADD COLUMN total_cents bigint NOT NULL GENERATED ALWAYS AS ((total * 100)::bigint) STORED;

-- case: pg/add-column-volatile-default + volatile default (sq: adding-field-with-default)
-- expect: pg/add-column-volatile-default
ALTER TABLE users ADD COLUMN public_id uuid DEFAULT gen_random_uuid();

-- case: pg/add-column-volatile-default + clock_timestamp default (pg: volatile functions)
-- expect: pg/add-column-volatile-default
ALTER TABLE audit ADD COLUMN seen_at timestamptz NOT NULL DEFAULT clock_timestamp();

-- case: pg/add-column-volatile-default - now() is stable: one value for all rows, no rewrite
-- expect: none
ALTER TABLE users ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();

-- case: pg/add-column-volatile-default - CURRENT_TIMESTAMP default
-- expect: none
ALTER TABLE users ADD COLUMN updated_at timestamp DEFAULT CURRENT_TIMESTAMP;

-- case: pg/add-column-volatile-default - constant JSON default
-- expect: none
ALTER TABLE tenants ADD COLUMN settings jsonb NOT NULL DEFAULT '{}'::jsonb;

-- case: pg/add-column-volatile-default - volatile default on a new table
-- expect: none
CREATE TABLE tokens (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), issued_at timestamptz DEFAULT clock_timestamp());

-- case: pg/add-column-volatile-default - SET DEFAULT on an existing column changes no row
-- expect: none
ALTER TABLE users ALTER COLUMN public_id SET DEFAULT gen_random_uuid();

-- case: pg/alter-column-type + integer to bigint (sq: changing-column-type; sm: changing the type of a column)
-- given: CREATE TABLE events (id integer PRIMARY KEY, payload text);
-- expect: pg/alter-column-type
ALTER TABLE events ALTER COLUMN id TYPE bigint;

-- case: pg/alter-column-type + type change with USING
-- expect: pg/alter-column-type
ALTER TABLE events ALTER COLUMN payload TYPE jsonb USING payload::jsonb;

-- case: pg/alter-column-type - varchar widened (binary-coercible, sm: safe type changes)
-- given: CREATE TABLE people (id int, name varchar(50));
-- expect: none
ALTER TABLE people ALTER COLUMN name TYPE varchar(100);

-- case: pg/alter-column-type - varchar to text (binary-coercible)
-- given: CREATE TABLE people (id int, name varchar(50));
-- expect: none
ALTER TABLE people ALTER COLUMN name TYPE text;

-- case: pg/alter-column-type + varchar narrowed (checks every row)
-- given: CREATE TABLE people (id int, name varchar(50));
-- expect: pg/alter-column-type
ALTER TABLE people ALTER COLUMN name TYPE varchar(20);

-- case: pg/alter-column-type - numeric precision raised, same scale
-- given: CREATE TABLE prices (id int, amount numeric(10,2));
-- expect: none
ALTER TABLE prices ALTER COLUMN amount TYPE numeric(12,2);

-- case: pg/alter-column-type + timestamp to timestamptz (rewrites unless the session time zone is UTC)
-- given: CREATE TABLE visits (id int, at timestamp);
-- expect: pg/alter-column-type
ALTER TABLE visits ALTER COLUMN at TYPE timestamptz;

-- case: pg/alter-column-type - widening when the old type is unknown to the linter (known false positive)
-- expect: none
ALTER TABLE customers ALTER COLUMN name TYPE varchar(200);

-- case: pg/alter-column-type - type change on a table created in the same migration
-- expect: none
CREATE TABLE drafts (id int, body varchar(10));
ALTER TABLE drafts ALTER COLUMN body TYPE text;

-- case: pg/add-column-rewrite + serial column added to an existing table (sq: adding-serial-primary-key-field)
-- expect: pg/add-column-rewrite
ALTER TABLE legacy_events ADD COLUMN seq bigserial;

-- case: pg/add-column-rewrite + identity column added to an existing table
-- expect: pg/add-column-rewrite
ALTER TABLE legacy_events ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;

-- case: pg/add-column-rewrite + stored generated column
-- expect: pg/add-column-rewrite
ALTER TABLE people ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('simple', name)) STORED;

-- case: pg/add-column-rewrite - virtual generated column (PostgreSQL 18) computes on read
-- expect: none
ALTER TABLE people ADD COLUMN name_length int GENERATED ALWAYS AS (length(name)) VIRTUAL;

-- case: pg/add-column-rewrite - serial in CREATE TABLE
-- expect: none
CREATE TABLE counters (id serial PRIMARY KEY, n bigint GENERATED BY DEFAULT AS IDENTITY);

-- case: pg/drop-table + drop a table (sq: ban-drop-table; sm: removing a table)
-- expect: pg/drop-table
DROP TABLE IF EXISTS legacy_sessions;

-- case: pg/drop-table + drop several tables with cascade
-- expect: pg/drop-table, pg/drop-table
DROP TABLE old_orders, old_order_items CASCADE;

-- case: pg/drop-table - drop a table created in the same migration
-- expect: none
CREATE TABLE tmp_import (line text);
DROP TABLE tmp_import;

-- case: pg/drop-column + drop a column (sq: ban-drop-column; sm: removing a column)
-- expect: pg/drop-column
ALTER TABLE users DROP COLUMN legacy_password;

-- case: pg/drop-column + drop column if exists among other commands
-- expect: pg/drop-column
ALTER TABLE users DROP COLUMN IF EXISTS fax_number, ADD COLUMN phone text;

-- case: pg/drop-column - drop a constraint, not a column
-- expect: none
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_fax_check;

-- case: pg/drop-schema + drop a schema with cascade
-- expect: pg/drop-schema
DROP SCHEMA reporting CASCADE;

-- case: pg/drop-schema - drop a view and a function
-- expect: none
DROP VIEW IF EXISTS active_users;
DROP FUNCTION IF EXISTS touch_updated_at();

-- case: pg/truncate + truncate an existing table (sm: truncate)
-- expect: pg/truncate
TRUNCATE audit_log;

-- case: pg/truncate + truncate two tables
-- expect: pg/truncate, pg/truncate
TRUNCATE TABLE cache_entries, cache_tags RESTART IDENTITY;

-- case: pg/truncate - delete in a bounded batch
-- expect: none
DELETE FROM audit_log WHERE created_at < now() - interval '90 days';

-- case: pg/rename + rename a column (sq: renaming-column; sm: renaming a column)
-- expect: pg/rename
ALTER TABLE users RENAME COLUMN name TO full_name;

-- case: pg/rename + rename a table (sq: renaming-table; sm: renaming a table)
-- expect: pg/rename
ALTER TABLE customers RENAME TO clients;

-- case: pg/rename - rename an index or a constraint
-- expect: none
ALTER INDEX users_email_idx RENAME TO users_email_key_idx;
ALTER TABLE users RENAME CONSTRAINT users_check TO users_age_check;

-- case: pg/rename - rename a table created in the same migration (swap-in of a rebuilt table)
-- expect: none
CREATE TABLE users_new (id bigint PRIMARY KEY);
ALTER TABLE users_new RENAME TO users_next;
ALTER TABLE users_next RENAME COLUMN id TO user_id;

-- case: pg/blocking-maintenance + VACUUM FULL (pg: VACUUM FULL takes an ACCESS EXCLUSIVE lock)
-- transaction: off
-- expect: pg/blocking-maintenance
VACUUM FULL orders;

-- case: pg/blocking-maintenance + CLUSTER
-- expect: pg/blocking-maintenance
CLUSTER orders USING orders_pkey;

-- case: pg/blocking-maintenance + REINDEX without concurrently
-- expect: pg/blocking-maintenance
REINDEX TABLE orders;

-- case: pg/blocking-maintenance - REINDEX CONCURRENTLY outside a transaction
-- transaction: off
-- expect: none
REINDEX TABLE CONCURRENTLY orders;

-- case: pg/blocking-maintenance - plain VACUUM outside a transaction
-- transaction: off
-- expect: none
VACUUM (ANALYZE) orders;

-- case: pg/missing-lock-timeout + lock_timeout turned off in the config (sq: require-timeout-settings)
-- lock-timeout: 0
-- expect: pg/missing-lock-timeout
ALTER TABLE users ADD COLUMN bio text;

-- case: pg/missing-lock-timeout - the migration sets its own lock_timeout
-- lock-timeout: 0
-- expect: none
SET lock_timeout = '2s';
ALTER TABLE users ADD COLUMN bio text;

-- case: pg/missing-lock-timeout - set_config form
-- lock-timeout: 0
-- expect: none
SELECT set_config('lock_timeout', '3s', true);
ALTER TABLE users ADD COLUMN bio text;

-- case: pg/missing-lock-timeout + SET lock_timeout = 0 does not count
-- lock-timeout: 0
-- expect: pg/missing-lock-timeout
SET lock_timeout = 0;
ALTER TABLE users ADD COLUMN bio text;

-- case: pg/missing-lock-timeout - strata's default lock_timeout applies
-- expect: none
ALTER TABLE users ADD COLUMN bio text;

-- case: pg/missing-lock-timeout - only new tables, nothing to wait for
-- lock-timeout: 0
-- expect: none
CREATE TABLE labels (id int PRIMARY KEY, name text NOT NULL);
CREATE INDEX labels_name_idx ON labels (name);

-- case: pg/transaction-control + BEGIN and COMMIT written in the migration (sq: transaction-nesting)
-- expect: pg/transaction-control, pg/transaction-control
BEGIN;
ALTER TABLE users ADD COLUMN bio text;
COMMIT;

-- case: pg/transaction-control + SAVEPOINT
-- expect: pg/transaction-control
SAVEPOINT before_backfill;

-- case: pg/transaction-control - a function body that mentions COMMIT
-- expect: none
CREATE OR REPLACE FUNCTION note_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO commits_seen (at) VALUES (now());
  RETURN NEW;
END
$$;

-- case: pg/not-idempotent + create table and index without IF NOT EXISTS in a non-transactional migration (sq: prefer-robust-stmts)
-- transaction: off
-- expect: pg/not-idempotent, pg/not-idempotent
CREATE TABLE events_archive (id bigint PRIMARY KEY);
CREATE INDEX CONCURRENTLY events_created_idx ON events (created_at);

-- case: pg/not-idempotent + add column without IF NOT EXISTS in a non-transactional migration
-- transaction: off
-- expect: pg/not-idempotent
ALTER TABLE users ADD COLUMN bio text;

-- case: pg/not-idempotent - robust statements (sq: prefer-robust-stmts, the fixed form)
-- transaction: off
-- expect: none
CREATE TABLE IF NOT EXISTS events_archive (id bigint PRIMARY KEY);
CREATE INDEX CONCURRENTLY IF NOT EXISTS events_created_idx ON events (created_at);
ALTER TABLE users ADD COLUMN IF NOT EXISTS bio text;

-- case: pg/not-idempotent - the same statements in a transactional migration roll back together
-- expect: none
CREATE TABLE events_archive (id bigint PRIMARY KEY);
ALTER TABLE users ADD COLUMN bio text;

-- case: lint/unknown-rule + an ignore naming a rule that does not exist
-- expect: lint/unknown-rule, pg/drop-table
-- strata:lint-ignore pg/drop-tables
DROP TABLE legacy_sessions;

-- case: lint/unused-ignore + an ignore that suppresses nothing
-- expect: lint/unused-ignore
-- strata:lint-ignore pg/rename
ALTER TABLE users ADD COLUMN bio text;

-- case: lint/unused-ignore - an ignore that suppresses its finding
-- expect: none
-- strata:lint-ignore pg/drop-column the column is unused since release 4.2
ALTER TABLE users DROP COLUMN legacy_password;

-- case: lint/parse-error + a statement the parser rejects
-- expect: lint/parse-error
ALTER TABLE users ADD COLUM bio text;

-- case: lint/parse-error - dollar-quoted body with semicolons parses
-- expect: none
DO $$ BEGIN RAISE NOTICE 'a; b; c'; END $$;

-- case: pg/index-not-concurrent + DDL hidden in a DO block (known false negative: the rules do not read PL/pgSQL)
-- expect: pg/index-not-concurrent
DO $$ BEGIN EXECUTE 'CREATE INDEX orders_total_idx ON orders (total)'; END $$;

-- case: none - a typical feature migration: new table, foreign key to an existing one, index on the new table
-- expect: none
CREATE TABLE comments (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  post_id bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  body text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comments_post_id_idx ON comments (post_id);
COMMENT ON TABLE comments IS 'Comments on posts';

-- case: none - data backfill and grants
-- expect: none
UPDATE users SET locale = 'en' WHERE locale IS NULL;
INSERT INTO roles (name) VALUES ('auditor') ON CONFLICT DO NOTHING;
GRANT SELECT ON comments TO reporting;

-- case: none - enum value and extension (transactional on PostgreSQL 12+)
-- expect: none
ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'refunded';
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- case: none - views and functions
-- expect: none
CREATE OR REPLACE VIEW active_users AS SELECT * FROM users WHERE status = 'active';
CREATE OR REPLACE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- case: pg/index-not-concurrent + strata core@1.1.0 style index on a table created by an earlier migration
-- given: CREATE TABLE tenants (id uuid PRIMARY KEY, status varchar(20) NOT NULL);
-- expect: pg/index-not-concurrent
CREATE INDEX idx_tenants_status ON tenants (status);

-- case: none - strata core@1.0.0 style initial schema
-- expect: none
CREATE TABLE tenants (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    name VARCHAR(255) NOT NULL,
    domain VARCHAR(255) UNIQUE NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'active',
    CONSTRAINT tenants_status_check CHECK (status IN ('active', 'suspended', 'deleted'))
);
CREATE TABLE users (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id UUID NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    email VARCHAR(255) NOT NULL,
    UNIQUE(tenant_id, email)
);
CREATE INDEX idx_users_email ON users (email);

-- case: lint/unknown-rule - the reason after the rule ids may contain slashes
-- expect: none
-- strata:lint-ignore pg/drop-table see docs/runbooks/legacy-sessions.md
DROP TABLE legacy_sessions;

-- case: pg/foreign-key-not-valid + unnamed foreign key, several commands in one ALTER
-- expect: pg/foreign-key-not-valid, pg/add-column-not-null-no-default
ALTER TABLE line_items ADD COLUMN order_ref bigint NOT NULL, ADD FOREIGN KEY (order_ref) REFERENCES orders (id) ON DELETE CASCADE;

-- case: pg/set-not-null + ALTER TABLE ONLY, among other commands
-- expect: pg/set-not-null
ALTER TABLE ONLY accounts ALTER COLUMN plan SET DEFAULT 'free', ALTER COLUMN plan SET NOT NULL;

-- case: pg/set-not-null + a NOT VALID check that was never validated does not help
-- given: ALTER TABLE accounts ADD CONSTRAINT accounts_plan_not_null CHECK (plan IS NOT NULL) NOT VALID;
-- expect: pg/set-not-null
ALTER TABLE accounts ALTER COLUMN plan SET NOT NULL;

-- case: pg/validate-same-transaction + check added NOT VALID and validated in one transaction
-- expect: pg/validate-same-transaction
ALTER TABLE accounts ADD CONSTRAINT accounts_plan_not_null CHECK (plan IS NOT NULL) NOT VALID;
ALTER TABLE accounts VALIDATE CONSTRAINT accounts_plan_not_null;

-- case: pg/add-column-not-null-no-default + ALTER TABLE IF EXISTS form
-- expect: pg/add-column-not-null-no-default
ALTER TABLE IF EXISTS orders ADD COLUMN region text NOT NULL;

-- case: pg/drop-schema + drop two schemas
-- expect: pg/drop-schema, pg/drop-schema
DROP SCHEMA IF EXISTS staging, scratch;

-- case: lint/parse-error + a missing parenthesis, and the statement after it is still checked
-- expect: lint/parse-error, pg/index-not-concurrent
ALTER TABLE users ADD CONSTRAINT users_age CHECK (age > 0;
CREATE INDEX users_age_idx ON users (age);
