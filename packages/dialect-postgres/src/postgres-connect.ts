import pg from 'pg';
import { StrataError, isStrataError } from '@strata/core';
import { asDriverError, connectionFailedError } from './postgres-errors.js';

/** What a connect needs to report failures without leaking secrets. */
export interface PostgresConnectSettings {
  target: string;
  secrets: readonly string[];
  connectTimeoutMs: number;
}

/** A connect that honours the abort signal and the connect timeout, with redacted errors. */
export async function connectClient(settings: PostgresConnectSettings, config: pg.ClientConfig, signal?: AbortSignal): Promise<pg.Client> {
  if (signal?.aborted) throw interrupted('connecting', signal.reason);
  let client: pg.Client;
  try {
    client = new pg.Client(config);
  } catch (error) {
    throw connectionFailedError(error, { target: settings.target, secrets: settings.secrets });
  }
  // Without a listener, a server-side termination would crash the process ('error' event).
  client.on('error', () => {});
  const started = Date.now();
  let onAbort: (() => void) | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      onAbort = () => {
        reject(interrupted('connecting', signal?.reason));
        // end() would send Terminate and wait for a server that may never answer (a hung proxy):
        // cut the socket instead, so that nothing outlives the abort.
        (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
        void client.end().catch(() => {});
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      client.connect().then(() => resolve(), reject);
    });
  } catch (error) {
    void client.end().catch(() => {});
    if (isStrataError(error)) throw error;
    const timedOut = settings.connectTimeoutMs > 0 && Date.now() - started >= settings.connectTimeoutMs - 50;
    throw connectionFailedError(error, {
      target: settings.target,
      secrets: settings.secrets,
      timedOut: timedOut && !asDriverError(error).code,
      connectTimeoutMs: settings.connectTimeoutMs,
    });
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
  return client;
}

export function interrupted(what: string, reason?: unknown): StrataError {
  return new StrataError('STRATA_INTERRUPTED', `Interrupted while ${what}`, { ...(reason !== undefined ? { cause: reason } : {}) });
}
