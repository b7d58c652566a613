-- The labelled SQLite corpus of @strata/lint (see corpus.test.ts for the format). Sources: the
-- SQLite ALTER TABLE documentation (lite:), its "making other kinds of table schema changes"
-- procedure (rebuild:), strong_migrations' ideas carried over (sm:), strata's own migrations (strata:).

-- case: sqlite/add-column-not-null-no-default + required column without a default (lite: ALTER TABLE ADD COLUMN)
-- expect: sqlite/add-column-not-null-no-default
ALTER TABLE users ADD COLUMN email TEXT NOT NULL;

-- case: sqlite/add-column-not-null-no-default + NOT NULL with DEFAULT NULL
-- expect: sqlite/add-column-not-null-no-default
ALTER TABLE users ADD COLUMN locale TEXT DEFAULT NULL NOT NULL;

-- case: sqlite/add-column-not-null-no-default - NOT NULL with a constant default
-- expect: none
ALTER TABLE users ADD COLUMN is_admin INTEGER NOT NULL DEFAULT 0;

-- case: sqlite/add-column-not-null-no-default - negative constant default
-- expect: none
ALTER TABLE users ADD COLUMN balance INTEGER NOT NULL DEFAULT -1;

-- case: sqlite/add-column-not-null-no-default - a table created in the same migration has no rows
-- expect: none
CREATE TABLE drafts (id INTEGER PRIMARY KEY);
ALTER TABLE drafts ADD COLUMN body TEXT NOT NULL;

-- case: sqlite/add-column-not-null-no-default - quoted names and the COLUMN keyword left out
-- expect: none
ALTER TABLE "user settings" ADD "dark mode" INTEGER DEFAULT 0;

-- case: sqlite/add-column-non-constant-default + CURRENT_TIMESTAMP default (lite: may not have a default of CURRENT_TIMESTAMP)
-- expect: sqlite/add-column-non-constant-default
ALTER TABLE users ADD COLUMN created_at TEXT DEFAULT CURRENT_TIMESTAMP;

-- case: sqlite/add-column-non-constant-default + expression in parentheses (lite: or an expression in parentheses)
-- expect: sqlite/add-column-non-constant-default
ALTER TABLE users ADD COLUMN token TEXT DEFAULT (lower(hex(randomblob(16))));

-- case: sqlite/add-column-non-constant-default + CURRENT_DATE with NOT NULL
-- expect: sqlite/add-column-non-constant-default
ALTER TABLE orders ADD COLUMN placed_on TEXT NOT NULL DEFAULT CURRENT_DATE;

-- case: sqlite/add-column-non-constant-default - constant string default
-- expect: none
ALTER TABLE users ADD COLUMN status TEXT NOT NULL DEFAULT 'active';

-- case: sqlite/add-column-non-constant-default - CURRENT_TIMESTAMP in CREATE TABLE is fine
-- expect: none
CREATE TABLE audit (id INTEGER PRIMARY KEY, at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP, data TEXT DEFAULT (json_object()));

-- case: sqlite/add-column-unique + UNIQUE column (lite: may not have a PRIMARY KEY or UNIQUE constraint)
-- expect: sqlite/add-column-unique
ALTER TABLE users ADD COLUMN handle TEXT UNIQUE;

-- case: sqlite/add-column-unique + PRIMARY KEY column
-- expect: sqlite/add-column-unique
ALTER TABLE tags ADD COLUMN id INTEGER PRIMARY KEY;

-- case: sqlite/add-column-unique + UNIQUE refused even on an empty new table
-- expect: sqlite/add-column-unique
CREATE TABLE handles (id INTEGER);
ALTER TABLE handles ADD COLUMN name TEXT UNIQUE;

-- case: sqlite/add-column-unique - column then a unique index (the alternative)
-- expect: none
ALTER TABLE users ADD COLUMN handle TEXT;
CREATE UNIQUE INDEX users_handle_key ON users (handle);

-- case: sqlite/add-column-unique - a REFERENCES column with no default is allowed
-- expect: none
ALTER TABLE orders ADD COLUMN coupon_id INTEGER REFERENCES coupons (id);

-- case: sqlite/drop-column + drop a column (lite: DROP COLUMN)
-- expect: sqlite/drop-column
ALTER TABLE users DROP COLUMN fax;

-- case: sqlite/drop-column + drop an indexed column (refused by SQLite)
-- given: CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT); CREATE INDEX people_email ON people (email);
-- expect: sqlite/drop-column
ALTER TABLE people DROP COLUMN email;

-- case: sqlite/drop-column - a column of a table created in the same migration
-- expect: none
CREATE TABLE imports (id INTEGER PRIMARY KEY, raw TEXT);
ALTER TABLE imports DROP COLUMN raw;

-- case: sqlite/drop-table + drop a table
-- expect: sqlite/drop-table
DROP TABLE IF EXISTS legacy_sessions;

-- case: sqlite/drop-table - drop a table created in the same migration
-- expect: none
CREATE TABLE tmp_import (line TEXT);
INSERT INTO tmp_import VALUES ('x');
DROP TABLE tmp_import;

-- case: sqlite/drop-table - the rebuild procedure (rebuild: steps 4 to 7) on a table nothing references
-- expect: none
CREATE TABLE new_products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price_cents INTEGER NOT NULL DEFAULT 0);
INSERT INTO new_products (id, name, price_cents) SELECT id, name, CAST(price * 100 AS INTEGER) FROM products;
DROP TABLE products;
ALTER TABLE new_products RENAME TO products;
CREATE INDEX products_name ON products (name);

-- case: sqlite/drop-table + a "rebuild" whose copy is renamed to another name loses the table
-- expect: sqlite/drop-table
CREATE TABLE products_v2 (id INTEGER PRIMARY KEY, name TEXT);
INSERT INTO products_v2 SELECT id, name FROM products;
DROP TABLE products;
ALTER TABLE products_v2 RENAME TO catalogue;

-- case: sqlite/rebuild-cascade + rebuild of a parent with ON DELETE CASCADE children, foreign keys on (strata RELIABILITY 15)
-- given: CREATE TABLE tenants (id INTEGER PRIMARY KEY, name TEXT); CREATE TABLE users (id INTEGER PRIMARY KEY, tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE);
-- expect: sqlite/rebuild-cascade
CREATE TABLE new_tenants (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
INSERT INTO new_tenants SELECT id, coalesce(name, '') FROM tenants;
DROP TABLE tenants;
ALTER TABLE new_tenants RENAME TO tenants;

-- case: sqlite/rebuild-cascade - the same rebuild with the documented path (rebuild: foreign keys off outside the transaction)
-- given: CREATE TABLE tenants (id INTEGER PRIMARY KEY, name TEXT); CREATE TABLE users (id INTEGER PRIMARY KEY, tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE);
-- transaction: off
-- expect: none
PRAGMA foreign_keys = OFF;
CREATE TABLE new_tenants (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
INSERT INTO new_tenants SELECT id, coalesce(name, '') FROM tenants;
DROP TABLE tenants;
ALTER TABLE new_tenants RENAME TO tenants;
PRAGMA foreign_key_check;
PRAGMA foreign_keys = ON;

-- case: sqlite/rebuild-cascade + PRAGMA foreign_keys = OFF inside a transaction is a no-op
-- given: CREATE TABLE tenants (id INTEGER PRIMARY KEY); CREATE TABLE roles (id INTEGER PRIMARY KEY, tenant_id INTEGER, FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE SET NULL);
-- expect: sqlite/rebuild-cascade
PRAGMA foreign_keys = OFF;
CREATE TABLE new_tenants (id INTEGER PRIMARY KEY, plan TEXT);
INSERT INTO new_tenants (id) SELECT id FROM tenants;
DROP TABLE tenants;
ALTER TABLE new_tenants RENAME TO tenants;

-- case: sqlite/rebuild-cascade + plain drop of a parent whose children cascade
-- given: CREATE TABLE posts (id INTEGER PRIMARY KEY); CREATE TABLE comments (id INTEGER PRIMARY KEY, post_id INTEGER REFERENCES posts (id) ON DELETE CASCADE);
-- expect: sqlite/rebuild-cascade, sqlite/drop-table
DROP TABLE posts;

-- case: sqlite/rebuild-cascade - children without cascading actions
-- given: CREATE TABLE posts (id INTEGER PRIMARY KEY); CREATE TABLE comments (id INTEGER PRIMARY KEY, post_id INTEGER REFERENCES posts (id));
-- expect: none
CREATE TABLE new_posts (id INTEGER PRIMARY KEY, title TEXT);
INSERT INTO new_posts (id) SELECT id FROM posts;
DROP TABLE posts;
ALTER TABLE new_posts RENAME TO posts;

-- case: sqlite/rebuild-cascade + the child was declared in a migration the linter did not read (known false negative)
-- expect: sqlite/rebuild-cascade
CREATE TABLE new_accounts (id INTEGER PRIMARY KEY, name TEXT);
INSERT INTO new_accounts SELECT id, name FROM accounts;
DROP TABLE accounts;
ALTER TABLE new_accounts RENAME TO accounts;

-- case: sqlite/rename + rename a table (lite: RENAME TO)
-- expect: sqlite/rename
ALTER TABLE customers RENAME TO clients;

-- case: sqlite/rename + rename a column (lite: RENAME COLUMN)
-- expect: sqlite/rename
ALTER TABLE users RENAME COLUMN name TO full_name;

-- case: sqlite/rename + rename a column without the COLUMN keyword
-- expect: sqlite/rename
ALTER TABLE users RENAME fullname TO display_name;

-- case: sqlite/rename - rename of a table created in the same migration
-- expect: none
CREATE TABLE staging_orders (id INTEGER PRIMARY KEY);
ALTER TABLE staging_orders RENAME TO orders_2024;

-- case: none - triggers with semicolons inside their bodies stay one statement
-- expect: none
CREATE TRIGGER users_touch AFTER UPDATE ON users BEGIN
  UPDATE users SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
  SELECT CASE WHEN NEW.id IS NULL THEN RAISE(ABORT, 'no id; stop') END;
END;
CREATE INDEX users_updated_at ON users (updated_at);

-- case: none - strata core@1.0.0 style SQLite schema
-- expect: none
CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    domain TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'deleted'))
);
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    UNIQUE (tenant_id, email)
);
CREATE INDEX idx_users_email ON users (email);
CREATE INDEX idx_users_tenant ON users (tenant_id);

-- case: none - strata bench W2 style migration
-- expect: none
CREATE TABLE t_1 (id INTEGER PRIMARY KEY, a TEXT NOT NULL, b INTEGER);
CREATE INDEX idx_t_1_a ON t_1 (a);

-- case: none - data changes and views
-- expect: none
UPDATE users SET status = 'active' WHERE status IS NULL;
INSERT OR IGNORE INTO roles (name) VALUES ('admin'), ('member');
CREATE VIEW IF NOT EXISTS active_users AS SELECT * FROM users WHERE status = 'active';
DELETE FROM sessions WHERE expires_at < strftime('%s', 'now');

-- case: lint/unknown-rule + an ignore naming a PostgreSQL-looking rule that does not exist
-- expect: lint/unknown-rule, sqlite/drop-table
-- strata:lint-ignore sqlite/drop-tables
DROP TABLE legacy;

-- case: lint/unused-ignore + a file-level style ignore above a harmless statement
-- expect: lint/unused-ignore
-- strata:lint-ignore sqlite/rename
CREATE TABLE notes (id INTEGER PRIMARY KEY);

-- case: lint/unused-ignore - an ignore that suppresses the finding of its statement
-- expect: none
-- strata:lint-ignore sqlite/drop-column the app stopped reading it in 3.1
ALTER TABLE users DROP COLUMN fax;

-- case: lint/unused-ignore + one ignore naming two rules, one of which never fires
-- expect: lint/unused-ignore
-- strata:lint-ignore sqlite/drop-column, sqlite/rename the app stopped reading it in 3.1
ALTER TABLE users DROP COLUMN fax;
