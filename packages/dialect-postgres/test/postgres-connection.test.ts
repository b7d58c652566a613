import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { StrataError } from '@strata/core';
import { createPostgresDialect } from '../src/index.js';
import { PG_ADMIN_URL } from '../../../test-support/postgres.js';

async function connectError(options: Parameters<typeof createPostgresDialect>[0]): Promise<StrataError> {
  const dialect = createPostgresDialect({ connectTimeoutMs: 2000, ...options });
  try {
    const session = await dialect.connect({ purpose: 'migrate', lockTimeoutMs: 1000 });
    await session.close();
  } catch (error) {
    return error as StrataError;
  }
  throw new Error('expected the connection to fail');
}

function expectNoSecret(error: StrataError, secret: string): void {
  expect(error.message).not.toContain(secret);
  expect(error.hint ?? '').not.toContain(secret);
  expect(JSON.stringify(error)).not.toContain(secret);
  expect(String(error.cause)).not.toContain(secret);
  expect(JSON.stringify(error.cause, Object.getOwnPropertyNames(error.cause ?? {}))).not.toContain(secret);
  expect(error.stack ?? '').not.toContain(secret);
}

const server = new URL(PG_ADMIN_URL);

describe('PostgreSQL connect failures', () => {
  it('reports a refused connection as STRATA_CONNECTION_FAILED with a hint', async () => {
    const error = await connectError({ connectionString: 'postgres://postgres@127.0.0.1:1/postgres' });
    expect(error.code).toBe('STRATA_CONNECTION_FAILED');
    expect(error.message).toContain('postgres://postgres@127.0.0.1:1/postgres');
    expect(error.hint).toMatch(/running/);
  });

  const secret = `S3cr3t-${randomBytes(6).toString('hex')}`;
  const cases: [string, string, RegExp][] = [
    [
      'an unknown user (wrong credentials)',
      `postgres://nobody_${randomBytes(3).toString('hex')}:${secret}@${server.host}/postgres`,
      /user name and password/,
    ],
    [
      'a missing database',
      `postgres://${server.username}:${secret}@${server.host}/missing_${randomBytes(3).toString('hex')}`,
      /Create the database/,
    ],
    ['an unreachable host', `postgres://${server.username}:${secret}@127.0.0.1:1/postgres`, /running/],
    ['an unknown host name', `postgres://${server.username}:${secret}@no-such-host.invalid/postgres`, /host name/],
    ['a raw @ and # in the password', `postgres://${server.username}:${secret}@#x@127.0.0.1:1/postgres`, /./],
    // Read as meant since issue 10: the credentials run to the last @, so this reaches 127.0.0.1:1.
    ['a raw # in the password', `postgres://${server.username}:${secret}#x@127.0.0.1:1/postgres`, /running/],
  ];

  it.each(cases)('never shows the password for %s', async (_name, url, hint) => {
    const error = await connectError({ connectionString: url });
    expect(error.code).toBe('STRATA_CONNECTION_FAILED');
    expect(error.hint).toMatch(hint);
    expectNoSecret(error, secret);
    expect(error.message).toContain(':***@');
  });

  it('never shows a password given as a discrete setting', async () => {
    const dialect = createPostgresDialect({
      connection: { host: '127.0.0.1', port: 1, user: 'postgres', password: secret, database: 'postgres' },
    });
    expect(dialect.target).toBe('postgres://postgres:***@127.0.0.1:1/postgres');
    const error = await connectError({
      connection: { host: '127.0.0.1', port: 1, user: 'postgres', password: secret, database: 'postgres' },
    });
    expectNoSecret(error, secret);
  });

  it('gives up after connectTimeoutMs when the server never answers', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const started = Date.now();
      const error = await connectError({
        connectionString: `postgres://postgres:${secret}@127.0.0.1:${port}/postgres`,
        connectTimeoutMs: 300,
      });
      expect(Date.now() - started).toBeLessThan(1500);
      expect(error.code).toBe('STRATA_CONNECTION_FAILED');
      expect(error.message).toContain('timed out after 300 ms');
      expectNoSecret(error, secret);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('stops connecting when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const dialect = createPostgresDialect({ connectionString: PG_ADMIN_URL });
    await expect(dialect.connect({ purpose: 'read', lockTimeoutMs: 1000, signal: controller.signal })).rejects.toMatchObject({
      code: 'STRATA_INTERRUPTED',
    });
  });
});
