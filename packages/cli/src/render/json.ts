import { isStrataError, type FailoverInfo } from '@strata/core';
import { toProblemResults } from '../commands/status.js';

/** How a failover choice appears in every JSON document: `fallback: { used, reason, primary, fallback }`. */
export interface FallbackJson {
  used: boolean;
  reason: string | null;
  primary: string;
  fallback: string;
}

/**
 * The one JSON document of a command: its result with `failover` renamed `fallback`, and
 * `undefined` fields made `null` so every documented key is always present.
 */
export function toJsonDocument(result: object): Record<string, unknown> {
  const { failover, ...rest } = result as { failover?: FailoverInfo } & Record<string, unknown>;
  const document: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) document[key] = value === undefined ? null : value;
  if (failover) {
    document.fallback = {
      used: failover.used,
      reason: failover.reason ?? null,
      primary: failover.primary,
      fallback: failover.fallback,
    } satisfies FallbackJson;
  }
  return document;
}

/** `{ "error": { code, message, hint, details?, problems? } }` for anything thrown. */
export function errorDocument(error: unknown): { error: Record<string, unknown> } {
  if (!isStrataError(error)) {
    return {
      error: {
        code: 'STRATA_INTERNAL',
        message: error instanceof Error ? error.message : String(error),
        hint: 'This is a bug in strata: please report it',
      },
    };
  }
  const { problems, steps, ...details } = error.details as { problems?: unknown; steps?: unknown } & Record<string, unknown>;
  const safe: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(details)) {
    if (key === 'recorded') continue;
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value) || key === 'holder') safe[key] = value;
  }
  return {
    error: {
      code: error.code,
      message: error.message,
      hint: error.hint ?? null,
      ...(Object.keys(safe).length ? { details: safe } : {}),
      ...(Array.isArray(problems) ? { problems: toProblemResults(problems) } : {}),
      // A failed run: each step as it ended (`rolled-back` when the run's one transaction undid it).
      ...(Array.isArray(steps)
        ? {
            steps: steps.map((s: { id: string; direction: string; outcome: string }) => ({
              id: s.id,
              direction: s.direction,
              outcome: s.outcome,
            })),
          }
        : {}),
    },
  };
}
