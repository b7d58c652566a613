import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, resolve, sep } from 'node:path';
import { type Dialect, IDENTIFIER_PATTERN, StrataError } from '@strata/core';
import { parseTargetUrl, redactUrl } from '../target.js';

/** One tenant of a fleet: a database URL, and for schema-per-tenant the schema in it. */
export interface FleetTenant {
  /** Stable name: shard key, report key, `--only-failed` key. Unique in the fleet. */
  name: string;
  url: string;
  /** PostgreSQL schema of this tenant (state tables, lock key and search_path). */
  schema?: string;
}

/** How a fleet spec names its tenants. */
export type FleetSpec =
  | { kind: 'list'; file: string }
  | { kind: 'sqlite-glob'; pattern: string }
  | { kind: 'schemas'; pattern: string }
  | { kind: 'query'; sql: string };

const usage = (message: string, hint: string) => new StrataError('STRATA_USAGE', message, { hint });

/**
 * Parses a `--fleet` / config `fleet.targets` spec:
 * `sqlite:tenants/*.db` (a glob of SQLite files), `schemas:tenant_*` (every matching schema of the
 * `--url` PostgreSQL database), `query:SELECT url FROM tenants` (rows of the `--url` database with a
 * `url` or `schema` column, and optionally `name`), or a list file (`.json`: an array of URLs or
 * `{ name, url, schema }`; otherwise one URL per line, or `name url`, `#` comments).
 */
export function parseFleetSpec(spec: string, cwd: string): FleetSpec {
  const value = spec.trim();
  if (value === '')
    throw usage('Option --fleet needs a spec', 'strata up --fleet tenants.txt, --fleet "sqlite:tenants/*.db", --fleet "schemas:tenant_*"');
  if (/^sqlite:/i.test(value)) return { kind: 'sqlite-glob', pattern: value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '') };
  if (/^schemas:/i.test(value)) {
    const pattern = value.slice('schemas:'.length);
    if (!/^[A-Za-z0-9_*?]+$/.test(pattern))
      throw usage(
        `Fleet schema pattern ${JSON.stringify(pattern)} may hold only letters, digits, _, * and ?`,
        'strata up --fleet "schemas:tenant_*" --url postgres://…/app',
      );
    return { kind: 'schemas', pattern };
  }
  if (/^query:/i.test(value)) return { kind: 'query', sql: value.slice('query:'.length).trim() };
  if (/^postgres(ql)?:\/\//i.test(value))
    throw usage(
      'A --fleet spec is a list file, sqlite:<glob>, schemas:<pattern> or query:<sql>, not one database URL',
      'Put the URLs in a file, one a line: strata up --fleet tenants.txt',
    );
  return { kind: 'list', file: resolve(cwd, value) };
}

/** A glob (`*`, `?` within one path segment) as a regular expression. */
function globRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** Files matching a glob whose wildcards may sit in any segment (no `**`), sorted. */
export function globFiles(pattern: string, cwd: string): string[] {
  const absolute = isAbsolute(pattern) ? pattern : resolve(cwd, pattern);
  const segments = absolute.split(sep);
  let current = [segments[0] === '' ? sep : segments[0]!];
  for (const [i, segment] of segments.slice(1).entries()) {
    const last = i === segments.length - 2;
    const next: string[] = [];
    for (const base of current) {
      if (!/[*?]/.test(segment)) {
        const path = join(base, segment);
        if (existsSync(path)) next.push(path);
        continue;
      }
      const matcher = globRegExp(segment);
      let entries: string[];
      try {
        entries = readdirSync(base);
      } catch {
        continue;
      }
      for (const entry of entries.sort()) {
        // Never a SQLite side file (-wal, -shm, -journal) nor a hidden file.
        if (entry.startsWith('.') || /-(wal|shm|journal)$/.test(entry) || !matcher.test(entry)) continue;
        next.push(join(base, entry));
      }
    }
    current = last ? next.filter((path) => statSync(path).isFile()) : next;
  }
  return current.sort();
}

const nameOfFile = (file: string) => basename(file, extname(file));

/** Runs one query on the control database and returns its rows. */
export type ControlQuery = (sql: string, params?: readonly unknown[]) => Promise<Record<string, unknown>[]>;

/** What listing a fleet needs besides the spec. */
export interface ListTenantsOptions {
  cwd: string;
  /** The control database URL (`--url`, DATABASE_URL, config `url`): schemas and query specs. */
  controlUrl: string;
  /** Opens the control database for `schemas:` and `query:` specs. */
  openControl: () => Promise<{ dialect: Dialect; query: ControlQuery; close(): Promise<void> }>;
}

/**
 * Lists the tenants of a spec, in a stable order (list and query order as given; globs and schema
 * patterns sorted by name), refusing duplicate names.
 * @throws StrataError `STRATA_CONFIG_INVALID` for an unreadable list, bad rows or duplicate names
 */
export async function listTenants(spec: FleetSpec, options: ListTenantsOptions): Promise<FleetTenant[]> {
  const tenants = await listRaw(spec, options);
  const seen = new Set<string>();
  for (const tenant of tenants) {
    if (seen.has(tenant.name)) {
      throw new StrataError('STRATA_CONFIG_INVALID', `Fleet tenant name ${JSON.stringify(tenant.name)} appears twice`, {
        hint: 'Give every tenant a unique name (JSON list: { "name": …, "url": … }; text list: "name url" per line)',
      });
    }
    seen.add(tenant.name);
  }
  return tenants;
}

async function listRaw(spec: FleetSpec, options: ListTenantsOptions): Promise<FleetTenant[]> {
  switch (spec.kind) {
    case 'sqlite-glob':
      return globFiles(spec.pattern, options.cwd).map((file) => ({ name: nameOfFile(file), url: `sqlite:${file}` }));
    case 'list':
      return readList(spec.file, options.cwd);
    case 'schemas': {
      const kind = parseTargetUrl(options.controlUrl, options.cwd).kind;
      if (kind !== 'postgres') {
        throw usage(
          `--fleet schemas:${spec.pattern} needs a PostgreSQL --url, not ${redactUrl(options.controlUrl)}`,
          'strata up --fleet "schemas:tenant_*" --url postgres://user@host/app',
        );
      }
      const like = spec.pattern.replace(/_/g, '\\_').replace(/\*/g, '%').replace(/\?/g, '_');
      const control = await options.openControl();
      try {
        const rows = await control.query(
          "SELECT nspname AS schema FROM pg_catalog.pg_namespace WHERE nspname LIKE $1 AND nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY nspname",
          [like],
        );
        return rows.map((row) => ({ name: String(row.schema), url: options.controlUrl, schema: String(row.schema) }));
      } finally {
        await control.close();
      }
    }
    case 'query': {
      const control = await options.openControl();
      let rows: Record<string, unknown>[];
      try {
        rows = await control.query(spec.sql);
      } finally {
        await control.close();
      }
      return rows.map((row, index) => tenantFromRow(row, `query row ${index + 1}`, options.controlUrl, options.cwd, options.cwd));
    }
  }
}

function readList(file: string, cwd: string): FleetTenant[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new StrataError(
      'STRATA_CONFIG_INVALID',
      `Fleet list ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      {
        hint: 'Give a file of tenant URLs (one a line, or JSON), sqlite:<glob>, schemas:<pattern> or query:<sql>',
        cause: error,
      },
    );
  }
  const folder = dirname(file);
  if (extname(file).toLowerCase() === '.json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new StrataError('STRATA_CONFIG_INVALID', `Fleet list ${file} is not valid JSON: ${(error as Error).message}`, {
        hint: 'An array of URLs or of { "name", "url", "schema" }',
        cause: error,
      });
    }
    if (!Array.isArray(parsed))
      throw new StrataError('STRATA_CONFIG_INVALID', `Fleet list ${file} must hold a JSON array`, {
        hint: '[{ "name": "acme", "url": "sqlite:tenants/acme.db" }]',
      });
    return parsed.map((item, index) =>
      tenantFromRow(
        typeof item === 'string' ? { url: item } : (item as Record<string, unknown>),
        `${file} item ${index + 1}`,
        undefined,
        folder,
        cwd,
      ),
    );
  }
  const tenants: FleetTenant[] = [];
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const parts = line.split(/\s+/);
    if (parts.length > 2)
      throw new StrataError('STRATA_CONFIG_INVALID', `Fleet list ${file} line ${index + 1} has more than "name url"`, {
        hint: 'One URL a line, or a name and a URL separated by a space',
      });
    const row = parts.length === 2 ? { name: parts[0], url: parts[1] } : { url: parts[0] };
    tenants.push(tenantFromRow(row, `${file} line ${index + 1}`, undefined, folder, cwd));
  }
  return tenants;
}

/** A tenant from a list item or query row: `url` and/or `schema`, optional `name`. */
function tenantFromRow(
  row: Record<string, unknown>,
  where: string,
  controlUrl: string | undefined,
  folder: string,
  cwd: string,
): FleetTenant {
  const bad = (why: string) =>
    new StrataError('STRATA_CONFIG_INVALID', `Fleet tenant at ${where} ${why}`, {
      hint: 'Each tenant needs a url (or, from a query, a schema), optionally a name',
    });
  if (row === null || typeof row !== 'object') throw bad('is not a URL or an object');
  const schema = row.schema === undefined || row.schema === null ? undefined : String(row.schema);
  if (schema !== undefined && !IDENTIFIER_PATTERN.test(schema))
    throw bad(`has an invalid schema name ${JSON.stringify(schema.slice(0, 70))}`);
  let url = row.url === undefined || row.url === null ? controlUrl : String(row.url);
  if (!url) throw bad('has no url');
  const parsed = parseTargetUrl(url, cwd);
  // Relative SQLite paths in a list file are relative to the list, not to where strata runs.
  if (parsed.kind === 'sqlite' && !parsed.memory) {
    const rest = url.slice('sqlite:'.length);
    if (!isAbsolute(rest) && !rest.startsWith('//')) url = `sqlite:${resolve(folder, rest)}`;
  }
  const name =
    row.name !== undefined && row.name !== null
      ? String(row.name)
      : (schema ?? (parsed.kind === 'sqlite' ? nameOfFile(parsed.filename) : redactUrl(url)));
  if (name === '' || /[\u0000-\u001f]/.test(name)) throw bad('has an empty name or a control character in it');
  return { name, url, ...(schema ? { schema } : {}) };
}
