import { spawn } from 'node:child_process';

/** What a finished tool did. */
export interface ToolResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** At most {@link MAX_CAPTURE} characters (the end is kept for stderr). */
  stdout: string;
  stderr: string;
}

const MAX_CAPTURE = 64 * 1024;

/** Raised when the tool's executable cannot be started (ENOENT, EACCES). */
export class ToolStartError extends Error {
  constructor(
    readonly command: string,
    readonly errno: string | undefined,
    cause: unknown,
  ) {
    super(`${command} could not be started${errno ? ` (${errno})` : ''}`, { cause });
  }
}

/**
 * Runs a tool with argv (never a shell) and an explicit environment, capturing bounded stdout and
 * stderr. Aborting the signal sends SIGTERM to the tool; the promise then resolves with its
 * signal so the caller reports an interruption.
 */
export function runTool(
  command: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; signal?: AbortSignal; captureStdout?: boolean; onStdout?: (bytes: number) => void },
): Promise<ToolResult> {
  return new Promise((resolvePromise, reject) => {
    let stdout = '';
    let stderr = '';
    let settled = false;
    const child = spawn(command, args, {
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.signal ? { signal: options.signal } : {}),
    });
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      options.onStdout?.(Buffer.byteLength(chunk));
      if (options.captureStdout && stdout.length < MAX_CAPTURE) stdout += chunk.slice(0, MAX_CAPTURE - stdout.length);
    });
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-MAX_CAPTURE);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (settled) return;
      if (error.name === 'AbortError') return; // 'close' follows with the signal.
      settled = true;
      reject(new ToolStartError(command, error.code, error));
    });
    child.on('close', (exitCode, signal) => {
      if (settled) return;
      settled = true;
      resolvePromise({ exitCode, signal, stdout, stderr });
    });
  });
}
