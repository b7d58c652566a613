import { parentPort, Worker, workerData } from 'node:worker_threads';
import { isStrataError, StrataError, type StrataErrorCode } from '@strata/core';
import type { DialectLoaders } from '../dialect-loader.js';
import type { BackupLoader } from '../internal/backup-wiring.js';
import type { ModuleLoader } from '../sources.js';
import type { TenantOutcome, TenantProgress } from './fleet-run.js';
import type { FleetTenant } from './fleet-targets.js';
import type { TenantRunContext } from './fleet-tenant.js';

/**
 * SQLite fleets on worker threads. better-sqlite3 is synchronous: a commit's fsync blocks the
 * thread that runs it, so tenants interleaved on one thread never wait on their disks at the same
 * time. A small pool of threads, one tenant at a time each, lets the fsyncs overlap. Each worker
 * loads the migrations and a driver of its own; the main thread keeps the pool, the report and
 * the output (workers send their lines and counts back).
 */

/** What a worker gets once, at start: everything a tenant run needs that can be copied. */
export interface FleetWorkerSetup {
  strataFleetWorker: true;
  command: string;
  line: TenantRunContext['line'];
  settings: TenantRunContext['settings'];
  cwd: string;
  env: Record<string, string | undefined>;
  checksumCache: string | false;
  backups: boolean;
  downTo: string | undefined;
  downSteps: number | undefined;
  dryRun: boolean;
}

/** The loaders of the host process (the bin), which functions cannot cross into a worker. */
export interface FleetWorkerHost {
  dialectLoaders?: DialectLoaders;
  modules?: Record<string, ModuleLoader>;
  backupLoader?: BackupLoader;
}

type ToWorker = { type: 'run'; id: number; tenant: FleetTenant } | { type: 'abort'; message: string; signal: string | undefined };
type SentError = { strata: boolean; code: string; message: string; hint: string | undefined; details: Record<string, unknown> };
type FromWorker =
  | { type: 'step'; outcome: 'applied' | 'reverted' }
  | { type: 'log'; level: 'warn' | 'debug'; text: string }
  | { type: 'done'; id: number; outcome: TenantOutcome }
  | { type: 'failed'; id: number; error: SentError };

/** True when this thread is a fleet worker started by {@link createWorkerPool}. */
export function isFleetWorker(): boolean {
  return parentPort !== null && (workerData as { strataFleetWorker?: unknown } | null)?.strataFleetWorker === true;
}

/** The worker's side: runs the tenants the main thread sends, one message per step, log line and result. */
export async function runFleetWorker(host: FleetWorkerHost): Promise<void> {
  const port = parentPort!;
  const setup = workerData as FleetWorkerSetup;
  const post = (message: FromWorker) => port.postMessage(message);
  const warn = (text: string) => post({ type: 'log', level: 'warn', text });
  const controller = new AbortController();
  // Imported here, not at the top: the bin imports this file on every start (fleet or not).
  const [{ resolveSources }, { memoizeSource, runTenant }] = await Promise.all([import('../sources.js'), import('./fleet-tenant.js')]);
  // Read once per worker; the main thread read them first and already said any warning.
  const sources = resolveSources(
    setup.settings.folders,
    setup.settings.modules,
    setup.cwd,
    host.modules ?? {},
    () => {},
    setup.checksumCache,
  ).then((resolved) => resolved.sources.map(memoizeSource));
  sources.catch(() => {});
  port.on('message', (message: ToWorker) => {
    if (message.type === 'abort') {
      controller.abort(Object.assign(new Error(message.message), { signal: message.signal }));
      return;
    }
    const { id, tenant } = message;
    void (async () => {
      try {
        const outcome = await runTenant(tenant, {
          ...setup,
          sources: await sources,
          dialectLoaders: host.dialectLoaders,
          backupLoader: host.backupLoader,
          signal: controller.signal,
          onStep: (outcome) => post({ type: 'step', outcome }),
          warn,
          debug: (text) => post({ type: 'log', level: 'debug', text }),
        });
        post({ type: 'done', id, outcome });
      } catch (error) {
        post({ type: 'failed', id, error: sendable(error) });
      }
    })();
  });
}

function sendable(error: unknown): SentError {
  const strata = isStrataError(error);
  const base = {
    strata,
    code: strata ? error.code : 'STRATA_INTERNAL',
    message: error instanceof Error ? error.message : String(error),
    hint: strata ? error.hint : undefined,
  };
  try {
    return { ...base, details: structuredClone(strata ? error.details : {}) };
  } catch {
    return { ...base, details: {} };
  }
}

function received(error: SentError): Error {
  if (!error.strata) return new Error(error.message);
  return new StrataError(error.code as StrataErrorCode, error.message, {
    ...(error.hint !== undefined ? { hint: error.hint } : {}),
    details: error.details,
  });
}

/** The main thread's side: `size` workers, each running one tenant at a time. */
export interface WorkerPool {
  run(tenant: FleetTenant, progress: TenantProgress): Promise<TenantOutcome>;
  close(): Promise<void>;
}

export function createWorkerPool(options: {
  entry: string;
  setup: FleetWorkerSetup;
  size: number;
  signal: AbortSignal | undefined;
  onStep(outcome: 'applied' | 'reverted'): void;
  warn(text: string): void;
  debug(text: string): void;
}): WorkerPool {
  interface Slot {
    worker: Worker;
    pending: { id: number; progress: TenantProgress; resolve(outcome: TenantOutcome): void; reject(error: Error): void } | undefined;
  }
  let nextId = 0;
  const idle: Slot[] = [];
  const waiting: ((slot: Slot) => void)[] = [];
  const all = new Set<Slot>();
  const release = (slot: Slot) => {
    const next = waiting.shift();
    if (next) next(slot);
    else idle.push(slot);
  };
  const start = (): Slot => {
    const worker = new Worker(options.entry, { workerData: options.setup, stdout: false, stderr: false });
    const slot: Slot = { worker, pending: undefined };
    all.add(slot);
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'log') return message.level === 'warn' ? options.warn(message.text) : options.debug(message.text);
      const pending = slot.pending;
      if (!pending) return;
      if (message.type === 'step') {
        if (message.outcome === 'applied') pending.progress.applied++;
        else pending.progress.reverted++;
        options.onStep(message.outcome);
        return;
      }
      if (message.id !== pending.id) return;
      slot.pending = undefined;
      if (message.type === 'done') pending.resolve(message.outcome);
      else pending.reject(received(message.error));
      release(slot);
    });
    // A worker that dies takes its tenant with it (reported as failed); a fresh one takes its place.
    const lost = (error: Error) => {
      if (!all.delete(slot)) return;
      slot.pending?.reject(
        new StrataError('STRATA_INTERNAL', `A fleet worker thread stopped: ${error.message}`, {
          hint: 'Rerun the fleet (each tenant applies only what it lacks); set STRATA_FLEET_THREADS=0 to run tenants on the main thread',
        }),
      );
      slot.pending = undefined;
      release(start());
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`exit code ${code}`)));
    return slot;
  };
  for (let i = 0; i < options.size; i++) idle.push(start());
  const onAbort = () => {
    const reason = options.signal?.reason as { message?: string; signal?: string } | undefined;
    for (const slot of all)
      slot.worker.postMessage({ type: 'abort', message: reason?.message ?? 'interrupted', signal: reason?.signal } satisfies ToWorker);
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });

  return {
    async run(tenant, progress) {
      const slot = idle.pop() ?? (await new Promise<Slot>((resolve) => waiting.push(resolve)));
      return new Promise<TenantOutcome>((resolve, reject) => {
        const id = nextId++;
        slot.pending = { id, progress, resolve, reject };
        slot.worker.postMessage({ type: 'run', id, tenant } satisfies ToWorker);
      });
    },
    async close() {
      options.signal?.removeEventListener('abort', onAbort);
      const slots = [...all];
      all.clear();
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
    },
  };
}
