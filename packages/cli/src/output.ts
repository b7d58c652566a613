import { redactSecrets } from '@strata/core';
import { escapeControl, escapeJsonControl } from './escape-control.js';

/** A stream the CLI writes to (process.stdout, or a buffer in tests). */
export interface WritableLike {
  write(chunk: string): unknown;
}

/** Colour helpers; identity functions when colour is off. */
export interface Colors {
  bold(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
}

const sgr = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`;
const plain = (text: string) => text;

/**
 * The four ANSI styles the CLI uses. Whether to colour is decided once by `shouldUseColor`; this
 * replaces picocolors, which probes `tty` (and so loads `net`) when it is imported.
 */
export function createColors(enabled: boolean): Colors {
  return enabled
    ? { bold: sgr(1, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39) }
    : { bold: plain, red: plain, green: plain, yellow: plain };
}

/**
 * Where the CLI's words go. Every write is passed through secret redaction as a last line of
 * defence, and every human line through {@link escapeControl}: a line is one line, and nothing
 * in it (a file name, SQL, a server message) reaches the terminal as a control character. With `--json`, human lines go to stderr and stdout carries only the JSON document.
 */
export interface Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly verbose: boolean;
  readonly colors: Colors;
  /** Adds secrets (passwords) to redact from now on. */
  addSecrets(secrets: readonly string[]): void;
  /** Redacts a text (for building JSON). */
  redact(text: string): string;
  /** A line for people: stdout, or stderr with `--json`; dropped with `--quiet`. */
  info(line: string): void;
  /** A line for people shown only with `--verbose`, on stderr. */
  debug(line: string): void;
  /** A warning on stderr (kept with --quiet). */
  warn(line: string): void;
  /** An error line on stderr. */
  error(line: string): void;
  /** The one JSON document of a `--json` run, on stdout. */
  document(value: unknown): void;
  /**
   * A progress line for long work, rewritten in place on a terminal's stderr; `undefined` clears
   * it. Nothing at all when stderr is not a terminal (piped output gets plain lines only).
   */
  progress(line: string | undefined): void;
}

export interface OutputOptions {
  stdout: WritableLike;
  stderr: WritableLike;
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  color: boolean;
  /** Show progress lines (stderr is a terminal and not --quiet). @default false */
  progress?: boolean;
  secrets?: readonly string[];
}

export function createOutput(options: OutputOptions): Output {
  const secrets = new Set<string>(options.secrets ?? []);
  // A secret may appear JSON-escaped in a document: redact that spelling too.
  const redact = (text: string) =>
    redactSecrets(
      text,
      [...secrets].flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]),
    );
  const human = options.json ? options.stderr : options.stdout;
  const line = (text: string) => escapeControl(redact(text), options.color);
  return {
    json: options.json,
    quiet: options.quiet,
    verbose: options.verbose,
    colors: createColors(options.color),
    addSecrets(more) {
      for (const secret of more) if (secret) secrets.add(secret);
    },
    redact,
    info(text) {
      if (!options.quiet) human.write(`${line(text)}\n`);
    },
    debug(text) {
      if (options.verbose) options.stderr.write(`${line(text)}\n`);
    },
    warn(text) {
      options.stderr.write(`${line(text)}\n`);
    },
    error(text) {
      options.stderr.write(`${line(text)}\n`);
    },
    progress(text) {
      if (!options.progress) return;
      options.stderr.write(text === undefined ? '\r\x1b[K' : `\r\x1b[K${line(text)}`);
    },
    document(value) {
      // Absent values are null, not missing: every documented key is always there.
      options.stdout.write(`${escapeJsonControl(redact(JSON.stringify(value, (_key, v: unknown) => (v === undefined ? null : v), 2)))}\n`);
    },
  };
}

/** Whether to colour: a TTY, no NO_COLOR, no --no-color; FORCE_COLOR forces it on. */
export function shouldUseColor(isTTY: boolean, env: Record<string, string | undefined>, noColorFlag: boolean): boolean {
  if (noColorFlag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return isTTY && env.TERM !== 'dumb';
}

/** Renders backup progress (`copy 45% (1200/2600 pages)`) for {@link Output.progress}, at most 10 times a second. */
export function backupProgressLine(out: Output): (progress: { stage: string; done?: number; total?: number; unit?: string }) => void {
  let last = 0;
  return (progress) => {
    const now = Date.now();
    const finished = progress.done !== undefined && progress.done === progress.total;
    if (progress.stage === 'copy' && now - last < 100 && !finished) return;
    last = now;
    if (progress.total) {
      const percent = Math.floor(((progress.done ?? 0) / progress.total) * 100);
      const amount =
        progress.unit === 'bytes'
          ? `${((progress.done ?? 0) / 1048576).toFixed(1)}/${(progress.total / 1048576).toFixed(1)} MB`
          : `${progress.done ?? 0}/${progress.total} ${progress.unit ?? ''}`.trimEnd();
      out.progress(`backup: ${progress.stage} ${percent}% (${amount})`);
    } else if (progress.done !== undefined && progress.unit === 'bytes') {
      out.progress(`backup: ${progress.stage} ${(progress.done / 1048576).toFixed(1)} MB`);
    } else {
      out.progress(`backup: ${progress.stage}…`);
    }
  };
}
