import { dirname, resolve as resolvePath } from 'node:path';
import { createMigrator, type Migrator, type MigratorEvent, type MigratorHooks, StrataError, TOOL_VERSION } from '@strata/core';
import { type CommandLine, parseCommandLine, stringOption } from './argv.js';
import type { CommandContext } from './command-context.js';
import { findCommand } from './command-specs.js';
import { MIGRATOR_COMMANDS } from './commands-migrator.js';
import { findConfigFile, findProjectRoot, loadConfigFile } from './config.js';
import { FLEET_COMMANDS } from './fleet/fleet-options.js';
import { type DialectLoaders, resolveDialect, type ResolvedDialect } from './dialect-loader.js';
import { parseDuration } from './duration.js';
import { loadEnvFile, loadProjectEnv } from './env-file.js';
import { assertDatabaseExists, READ_ONLY_COMMANDS } from './read-only.js';
import { exitCodeFor } from './exit-codes.js';
import { type BackupLoader, createBackupHooks } from './internal/backup-wiring.js';
import { loadOnce, withLintGate } from './internal/lint-gate.js';
import { windowSpecs } from './windows/window-config.js';
import { withWindowNames } from './windows/window-gate.js';
import { confirm } from './internal/confirm.js';
import { setPreferCommonJs } from './internal/import-package.js';
import { defaultCacheDirectory } from './internal/checksum-cache.js';
import { backupProgressLine, createOutput, type Output, shouldUseColor, type WritableLike } from './output.js';
import { renderCommandHelp, renderMainHelp } from './render/help.js';
import { createRunProgress } from './run-progress.js';
import { errorDocument, toJsonDocument } from './render/json.js';
import * as text from './render/text.js';
import { resolveSettings, type Settings } from './settings.js';
import { type ModuleLoader, resolveSources, type ResolvedSources } from './sources.js';
import { redactUrl, urlPasswords } from './target.js';

/** What {@link runCli} needs from its process; everything is injectable for tests. */
export interface RunCliOptions {
  stdout: WritableLike;
  stderr: WritableLike;
  /** Read for confirmations on a terminal. */
  stdin?: NodeJS.ReadableStream;
  /** @default process.env (copied; never modified) */
  env?: Record<string, string | undefined>;
  /** @default process.cwd() */
  cwd?: string;
  /** stdin and stdout are terminals: colour, prompts. @default false */
  isTTY?: boolean;
  /** stderr is a terminal: progress lines for long work. @default false */
  stderrIsTTY?: boolean;
  /** How the built-in dialects are imported (on demand). */
  dialectLoaders?: DialectLoaders;
  /** Loaders of module packages the host bundles, by package name (`@strata/core-schema`). */
  modules?: Record<string, ModuleLoader>;
  /** How `@strata/backup` is imported (on demand). */
  backupLoader?: BackupLoader;
  /** How `@strata/lint` is imported (by `strata lint` only). */
  lintLoader?: () => Promise<unknown>;
  /** Aborted on SIGINT/SIGTERM; the reason's `signal` property picks the exit status (130/143). */
  signal?: AbortSignal;
  /** A script that starts the fleet's worker threads (`runFleetWorker`); none: fleets run on one thread. */
  fleetWorkerEntry?: string;
  /**
   * Packages a TypeScript config may import that the project might not have installed, mapped to
   * files of the running CLI (`{ strata: '/…/strata/dist/index.js' }`).
   */
  configAliases?: Record<string, string>;
  /** Printed by `--version`. @default @strata/core's version */
  version?: string;
  /**
   * The host is CommonJS (the strata bin): a project's packages that have a CommonJS entry are
   * `require`d rather than imported, so they share the host's copy of @strata/core. @default false
   */
  commonJs?: boolean;
}

/**
 * Runs one strata command line and resolves to its exit status. Never calls `process.exit`
 * and never throws: every error is printed (as text, or as `{ "error": … }` with `--json`) and
 * mapped to its exit status in one place.
 */
export async function runCli(argv: readonly string[], options: RunCliOptions): Promise<number> {
  const started = performance.now();
  setPreferCommonJs(options.commonJs ?? false);
  const env = { ...(options.env ?? process.env) };
  const cwd = options.cwd ?? process.cwd();
  const isTTY = options.isTTY ?? false;
  const version = options.version ?? TOOL_VERSION;
  const has = (flag: string) => argv.includes(flag);
  const out = createOutput({
    stdout: options.stdout,
    stderr: options.stderr,
    json: has('--json'),
    quiet: has('--quiet'),
    verbose: has('--verbose'),
    color: shouldUseColor(isTTY, env, has('--no-color')),
    // Live lines only on a terminal, and never with --json or --quiet.
    progress: (options.stderrIsTTY ?? false) && !has('--quiet') && !has('--json'),
    // Passwords in any argument or variable are redacted even from usage errors.
    secrets: [
      ...argv.flatMap((arg) => urlPasswords(arg.replace(/^--[a-z-]+=/, ''))),
      ...urlPasswords(env.DATABASE_URL ?? ''),
      ...(env.PGPASSWORD ? [env.PGPASSWORD] : []),
    ],
  });
  const signalName = () => (options.signal?.reason as { signal?: NodeJS.Signals } | undefined)?.signal;
  let migrator: Migrator | undefined;
  try {
    const line = parseCommandLine(argv);
    if (line.options.version && !line.options.help) {
      if (out.json) out.document({ version });
      else options.stdout.write(`${version}\n`);
      return 0;
    }
    if (line.options.help || !line.command) {
      const spec = line.command ? findCommand(line.command) : undefined;
      if (line.command && !spec)
        throw new StrataError('STRATA_USAGE', `Unknown command ${JSON.stringify(line.command)}`, { hint: 'Run `strata --help`' });
      const help = spec ? renderCommandHelp(spec) : renderMainHelp(version);
      if (!line.command && !line.options.help) {
        options.stderr.write(`${help}\n`);
        if (out.json) out.document(errorDocument(new StrataError('STRATA_USAGE', 'No command given', { hint: 'Run `strata --help`' })));
        return 2;
      }
      if (out.json) out.document({ help });
      else options.stdout.write(`${help}\n`);
      return 0;
    }
    const envFile = stringOption(line.options, 'env-file');
    if (envFile) loadEnvFile(envFile, cwd, env);
    const run = new CommandRun(line, options, out, env, cwd, isTTY);
    const code = await interruptible(run.execute(), line.command, options.signal).finally(() => run.stopProgress());
    migrator = run.migrator;
    if (run.note && code === 0) out.warn(run.note);
    out.debug(`done in ${Math.round(performance.now() - started)} ms`);
    return code;
  } catch (error) {
    if (out.json) out.document(errorDocument(error));
    text.renderError(out, error);
    return exitCodeFor(error, signalName());
  } finally {
    await migrator?.close().catch(() => {});
  }
}

/** The checksum cache of a fleet run: off for validate (it answers "is it intact?"), as for one target. */
function fleetChecksumCache(command: string, cwd: string, env: Record<string, string | undefined>): string | false {
  const directory = command === 'validate' ? undefined : defaultCacheDirectory(env);
  return directory === undefined ? false : resolvePath(cwd, directory);
}

/** Commands that take the signal themselves (they roll back before they stop). */
const CANCELLABLE = new Set(['up', 'down', 'backup']);

/** Other commands stop at once on a signal; they change nothing half way. */
function interruptible<T>(work: Promise<T>, command: string | undefined, signal: AbortSignal | undefined): Promise<T> {
  if (!signal || (command && CANCELLABLE.has(command))) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () =>
      reject(
        new StrataError('STRATA_INTERRUPTED', `Interrupted (${signal.reason instanceof Error ? signal.reason.message : 'signal'})`, {
          hint: 'Run the command again',
        }),
      );
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** One command being run: settings, dialect, sources, migrator, rendering. */
class CommandRun implements CommandContext {
  migrator: Migrator | undefined;
  /** Set during a run whose steps share one transaction: why a step that ran is not done yet. */
  private oneTransaction: string | undefined;
  /** A line for stderr once the command succeeded. */
  note: string | undefined;
  private resolved: ResolvedDialect | undefined;
  readonly command: string;

  constructor(
    readonly line: CommandLine,
    readonly options: RunCliOptions,
    readonly out: Output,
    readonly env: Record<string, string | undefined>,
    readonly cwd: string,
    readonly isTTY: boolean,
  ) {
    this.command = line.command!;
    // Live only where Output draws progress; elsewhere one holder line.
    this.live = createRunProgress(out, (options.stderrIsTTY ?? false) && !out.quiet && !out.json);
  }

  /** Clears the live line (a run that failed never sends run-end). */
  stopProgress(): void {
    this.live.stop();
  }

  opt(name: string): string | undefined {
    return stringOption(this.line.options, name);
  }

  flag(name: string): boolean {
    return this.line.options[name] === true;
  }

  emit(result: object, renderText: () => void): void {
    if (this.out.json) this.out.document(toJsonDocument(result));
    else renderText();
  }

  confirm(question: string, refusal: string): Promise<void> {
    return confirm(question, refusal, { yes: this.flag('yes'), isTTY: this.isTTY, stdin: this.options.stdin, prompt: this.options.stderr });
  }

  noArgs(max = 0): void {
    if (this.line.args.length > max) {
      throw new StrataError('STRATA_USAGE', `Unexpected argument ${JSON.stringify(this.line.args[max])} for strata ${this.command}`, {
        hint: `Run \`strata ${this.command} --help\` for usage`,
      });
    }
  }

  async execute(): Promise<number> {
    const { out } = this;
    if (this.command === 'init') {
      this.noArgs();
      const { init } = await import('./commands/init.js');
      const result = await init({ cwd: this.cwd, ts: this.flag('ts') });
      this.emit(result, () => text.renderInit(out, result));
      return 0;
    }

    const configPath = findConfigFile(this.cwd, this.opt('config'));
    // `.env` beside the config (or in the working folder without one); set variables, and those
    // from --env-file (read first), win.
    const dotEnv = loadProjectEnv(configPath ? dirname(configPath) : this.cwd, this.env);
    const loaded = await loadConfigFile(configPath, this.options.configAliases);
    const settings = resolveSettings(this.line.options, this.env, loaded.config, this.cwd, loaded.path);
    out.addSecrets(settings.secrets);
    this.describeSettings(settings, dotEnv);
    if (this.command === 'up' && settings.urlSource === 'default' && !settings.configPath) {
      // Printed after the run's own lines (an error's first line names the culprit).
      this.note = `note: no strata.config.* found (from ${this.cwd} up to ${findProjectRoot(this.cwd) ?? this.cwd}) and no --url or DATABASE_URL: used the embedded default ${settings.url}`;
    }

    if (this.command === 'new') return (await import('./commands-new.js')).newCommand(this, settings);
    if (this.command === 'backup') return this.backup(settings);
    if (this.command === 'lint') {
      const { runLint } = await import('./internal/lint-wiring.js');
      const { dialectLoaders, modules = {}, lintLoader, stdout } = this.options;
      return runLint({
        line: this.line,
        settings,
        out,
        stdout,
        cwd: this.cwd,
        dialectLoaders,
        modules,
        lintLoader,
        emit: (result, render) => this.emit(result, render),
      });
    }

    const runs = this.command === 'up' || this.command === 'down';
    const fleetSpec = this.opt('fleet') ?? loaded.config.fleet?.targets;
    if (fleetSpec !== undefined && fleetSpec !== 'off' && FLEET_COMMANDS.has(this.command)) {
      const { runFleetCommand } = await import('./fleet/fleet-command.js');
      return runFleetCommand({
        command: this.command,
        line: this.line,
        spec: fleetSpec,
        fleetConfig: loaded.config.fleet,
        settings,
        sources: (
          await resolveSources(
            settings.folders,
            settings.modules,
            this.cwd,
            this.options.modules ?? {},
            (message) => out.warn(`warning: ${message}`),
            fleetChecksumCache(this.command, this.cwd, this.env),
          )
        ).sources,
        out,
        env: this.env,
        cwd: this.cwd,
        isTTY: this.isTTY,
        stdin: this.options.stdin,
        prompt: this.options.stderr,
        dialectLoaders: this.options.dialectLoaders,
        backupLoader: this.options.backupLoader,
        signal: this.options.signal,
        checksumCache: fleetChecksumCache(this.command, this.cwd, this.env),
        workerEntry: this.options.fleetWorkerEntry,
      });
    }
    const resolved = await resolveDialect(settings, this.options.dialectLoaders);
    // validate and repair read every file: they are the commands that answer "is it intact?".
    const cacheDirectory = this.command === 'validate' || this.command === 'repair' ? undefined : defaultCacheDirectory(this.env);
    const checksumCache = cacheDirectory === undefined ? false : resolvePath(this.cwd, cacheDirectory);
    const sources = await resolveSources(
      settings.folders,
      settings.modules,
      this.cwd,
      this.options.modules ?? {},
      (message) => out.warn(`warning: ${message}`),
      checksumCache,
      settings.maxFileBytes,
    );
    // plan and up lint what they run: one read of the files serves both (internal/lint-gate.ts).
    if (this.command === 'plan' || this.command === 'up') sources.sources = sources.sources.map(loadOnce);
    out.debug(`checksum cache: ${checksumCache === false ? 'off' : checksumCache}`);
    out.debug(`dialect: ${resolved.primary.dialect.name}${resolved.fallback ? ` (fallback ${resolved.fallback.dialect.name})` : ''}`);
    out.debug(
      `sources: ${[...sources.folders.map((f) => `${f.shown} (module ${f.module})`), ...sources.modules.map((m) => `module ${m}`)].join(', ') || 'none'}`,
    );
    // `validate --offline` opens no database at all, so a missing file is no problem of its own.
    if (READ_ONLY_COMMANDS.has(this.command) && !(this.command === 'validate' && this.flag('offline'))) assertDatabaseExists(settings);
    this.migrator = createMigrator({
      dialect: resolved.dialect,
      sources: sources.sources,
      // What the terminal redacts is redacted from the events table too.
      secrets: settings.secrets,
      ...(settings.lockTimeoutMs !== undefined ? { lockTimeoutMs: settings.lockTimeoutMs } : {}),
      ...(settings.lockRetries !== undefined ? { lockRetries: settings.lockRetries } : {}),
      ...(runs
        ? {
            hooks: this.lintGate(
              settings,
              sources,
              createBackupHooks({
                targets: [resolved.primary, ...(resolved.fallback ? [resolved.fallback] : [])],
                settings,
                env: this.env,
                loader: this.options.backupLoader,
                onSkip: (reason) => out.warn(`no backup: ${reason}`),
                onBackup: (id) => out.info(`backup ${id} taken and verified`),
                onProgress: backupProgressLine(out),
                onProgressEnd: () => out.progress(undefined),
                onPruneError: (error) => out.warn(`warning: pruning old backups failed: ${(error as Error).message}`),
              }),
            ),
          }
        : {}),
      onEvent: (event) => this.progress(event),
    });
    const wait = this.opt('wait');
    if (wait !== undefined) {
      const { waitForDatabase } = await import('./wait.js');
      await waitForDatabase(resolved.dialect, {
        waitMs: parseDuration(wait, '--wait'),
        lockTimeoutMs: settings.lockTimeoutMs ?? 60_000,
        ...(this.options.signal ? { signal: this.options.signal } : {}),
        onRetry: (error, attempt, remainingMs) =>
          out.warn(
            `waiting for ${resolved.dialect.target} (attempt ${attempt}, ${Math.ceil(remainingMs / 1000)} s left): ${(error as Error).message}`,
          ),
      });
    }
    if (out.verbose && !(this.command === 'validate' && this.flag('offline'))) await this.describeDialect(resolved, settings);
    this.resolved = resolved;
    return this.migratorCommand(this.migrator, sources, settings);
  }

  /** `up`: strata lint checks the migrations to apply before the backup (internal/lint-gate.ts). */
  private lintGate(settings: Settings, sources: ResolvedSources, hooks: MigratorHooks): MigratorHooks {
    if (this.command !== 'up') return hooks;
    const { out } = this;
    return withLintGate(withWindowNames(hooks, sources.sources, windowSpecs(settings.windows)), {
      sources: sources.sources,
      settings,
      cwd: this.cwd,
      modules: this.options.modules ?? {},
      lintLoader: this.options.lintLoader,
      allowLint: this.flag('allow-lint'),
      skipBackup: this.flag('no-backup'),
      onSkip: (reason) => out.debug(reason),
      onReport: (result) => {
        for (const f of result.findings) out.warn(`lint: ${f.file}:${f.line}:${f.column} ${f.severity} ${f.rule}: ${f.message}`);
        if (result.errors && this.flag('allow-lint'))
          out.warn(`lint: ${result.errors} error${result.errors === 1 ? '' : 's'} accepted by --allow-lint`);
      },
    });
  }

  private describeSettings(settings: Settings, dotEnv: string | undefined): void {
    const URL_SOURCES: Record<Settings['urlSource'], string> = {
      flag: '--url',
      env: 'DATABASE_URL',
      config: 'the config file',
      default: 'the default',
      'direct-url-flag': '--direct-url',
      'direct-url-config': "the config file's directUrl",
    };
    const { out } = this;
    out.debug(`strata ${this.options.version ?? TOOL_VERSION} on Node ${process.versions.node}`);
    out.debug(`config: ${settings.configPath ?? `none (looked from ${this.cwd} up to ${findProjectRoot(this.cwd) ?? this.cwd})`}`);
    out.debug(`project folder: ${settings.projectDir}`);
    if (dotEnv) out.debug(`env file: ${dotEnv}`);
    out.debug(
      `target: ${settings.dialectObject ? `${settings.dialectObject.target} (dialect object from the config)` : redactUrl(settings.url)} (from ${URL_SOURCES[settings.urlSource]})`,
    );
    if (settings.fallbackUrl) out.debug(`fallback: ${redactUrl(settings.fallbackUrl)}`);
    out.debug(`lock timeout: ${settings.lockTimeoutMs ?? 60_000} ms`);
    if (settings.ddlLockTimeoutMs !== undefined) out.debug(`ddl lock timeout: ${settings.ddlLockTimeoutMs} ms`);
    if (settings.statementTimeoutMs !== undefined) out.debug(`statement timeout: ${settings.statementTimeoutMs} ms`);
  }

  /** `--verbose`: the dialect's own facts (effective timeouts, server version, journal mode). */
  private async describeDialect(resolved: ResolvedDialect, settings: Settings): Promise<void> {
    try {
      const session = await resolved.dialect.connect({ purpose: 'migrate', lockTimeoutMs: settings.lockTimeoutMs ?? 60_000 });
      try {
        const facts = (await session.describe?.()) ?? {};
        for (const [key, value] of Object.entries(facts)) this.out.debug(`  ${key}: ${value}`);
      } finally {
        await session.close();
      }
    } catch (error) {
      this.out.debug(`dialect facts unavailable: ${(error as Error).message}`);
    }
  }

  private readonly live: ReturnType<typeof createRunProgress>;

  private progress(event: MigratorEvent): void {
    const { out } = this;
    this.live.onEvent(event);
    switch (event.type) {
      case 'lock-acquired':
        out.debug(`lock acquired after ${event.waitedMs} ms`);
        return;
      case 'run-start':
        this.oneTransaction = event.dryRun
          ? 'dry run: rolled back at the end'
          : event.singleTransaction
            ? 'not committed until the last step'
            : undefined;
        out.debug(`run ${event.runId}: ${event.steps} step${event.steps === 1 ? '' : 's'}${event.dryRun ? ' (dry run)' : ''}`);
        return;
      case 'step-start':
        if (this.isTTY && !out.json)
          out.debug(`${event.direction === 'up' ? 'applying' : 'reverting'} ${event.id} (${event.index + 1}/${event.total})`);
        return;
      case 'step-end': {
        // In one transaction (dry run, --single-transaction) a step that ran is not done yet.
        const pending = this.oneTransaction && event.outcome !== 'skipped';
        const verb = pending ? 'ran' : event.outcome;
        out.info(
          `  ${verb.padEnd(8)} ${event.id} (${event.durationMs < 0 ? '?' : event.durationMs} ms${pending ? `; ${this.oneTransaction}` : ''})`,
        );
        return;
      }
      case 'step-retry':
        // The step's transaction was rolled back: nothing changed. Say who blocks it, every time.
        out.info(`  retry    ${event.id} (${event.attempt}/${event.retries}) in ${event.delayMs} ms: ${event.error.message}`);
        return;
      case 'replanned':
        out.info(`  re-planned: ${event.reason}`);
        return;
      default:
        return;
    }
  }

  private async backup(settings: Settings): Promise<number> {
    const { backupCommand } = await import('./commands-backup.js');
    return backupCommand(this, settings);
  }

  private async migratorCommand(migrator: Migrator, sources: ResolvedSources, settings: Settings): Promise<number> {
    const run = MIGRATOR_COMMANDS[this.command];
    if (!run) throw new StrataError('STRATA_USAGE', `Unknown command ${JSON.stringify(this.command)}`, { hint: 'Run `strata --help`' });
    return run(this, { migrator, sources, settings, resolved: this.resolved!, signal: this.options.signal });
  }
}
