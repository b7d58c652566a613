import { dirname, resolve as resolvePath } from 'node:path';
import { createMigrator, type Dialect, type Migrator, type MigratorEvent, type MigratorHooks, StrataError, TOOL_VERSION } from '@strata/core';
import { type CommandLine, countOption, listOption, parseCommandLine, stringOption } from './argv.js';
import { findCommand } from './command-specs.js';
import { findConfigFile, findProjectRoot, loadConfigFile } from './config.js';
import { FLEET_COMMANDS } from './fleet/fleet-options.js';
import { type DialectLoaders, resolveDialect, type ResolvedDialect } from './dialect-loader.js';
import { parseAge, parseDuration } from './duration.js';
import { loadEnvFile, loadProjectEnv } from './env-file.js';
import { assertDatabaseExists, READ_ONLY_COMMANDS } from './read-only.js';
import { exitCodeFor, exitCodeForProblems } from './exit-codes.js';
import { appliedVersions, type BackupLoader, createBackupHooks, createLockHolder, createManagerFor, loadBackupPackage, recordEvent } from './internal/backup-wiring.js';
import { loadOnce, withLintGate } from './internal/lint-gate.js';
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
import { parseTargetUrl, redactUrl, urlPasswords } from './target.js';

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
    secrets: [...argv.flatMap((arg) => urlPasswords(arg.replace(/^--[a-z-]+=/, ''))), ...urlPasswords(env.DATABASE_URL ?? ''), ...(env.PGPASSWORD ? [env.PGPASSWORD] : [])],
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
      if (line.command && !spec) throw new StrataError('STRATA_USAGE', `Unknown command ${JSON.stringify(line.command)}`, { hint: 'Run `strata --help`' });
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
    const onAbort = () => reject(new StrataError('STRATA_INTERRUPTED', `Interrupted (${signal.reason instanceof Error ? signal.reason.message : 'signal'})`, { hint: 'Run the command again' }));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** One command being run: settings, dialect, sources, migrator, rendering. */
class CommandRun {
  migrator: Migrator | undefined;
  /** Set during a run whose steps share one transaction: why a step that ran is not done yet. */
  private oneTransaction: string | undefined;
  /** A line for stderr once the command succeeded. */
  note: string | undefined;
  private resolved: ResolvedDialect | undefined;
  private settings: Settings | undefined;
  private readonly command: string;

  constructor(
    private readonly line: CommandLine,
    private readonly options: RunCliOptions,
    private readonly out: Output,
    private readonly env: Record<string, string | undefined>,
    private readonly cwd: string,
    private readonly isTTY: boolean,
  ) {
    this.command = line.command!;
    this.live = createRunProgress(out);
  }

  /** Clears the live line (a run that failed never sends run-end). */
  stopProgress(): void {
    this.live.stop();
  }

  private opt(name: string): string | undefined {
    return stringOption(this.line.options, name);
  }

  private flag(name: string): boolean {
    return this.line.options[name] === true;
  }

  private emit(result: object, renderText: () => void): void {
    if (this.out.json) this.out.document(toJsonDocument(result));
    else renderText();
  }

  private confirm(question: string, refusal: string): Promise<void> {
    return confirm(question, refusal, { yes: this.flag('yes'), isTTY: this.isTTY, stdin: this.options.stdin, prompt: this.options.stderr });
  }

  private noArgs(max = 0): void {
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

    if (this.command === 'new') return this.newMigration(settings);
    if (this.command === 'backup') return this.backup(settings);
    if (this.command === 'lint') {
      const { runLint } = await import('./internal/lint-wiring.js');
      const { dialectLoaders, modules = {}, lintLoader, stdout } = this.options;
      return runLint({ line: this.line, settings, out, stdout, cwd: this.cwd, dialectLoaders, modules, lintLoader, emit: (result, render) => this.emit(result, render) });
    }

    const runs = this.command === 'up' || this.command === 'down';
    const fleetSpec = this.opt('fleet') ?? loaded.config.fleet?.targets;
    if (fleetSpec !== undefined && fleetSpec !== 'off' && FLEET_COMMANDS.has(this.command)) {
      const { runFleetCommand } = await import('./fleet/fleet-command.js');
      return runFleetCommand({
        command: this.command, line: this.line, spec: fleetSpec, fleetConfig: loaded.config.fleet, settings, sources: (await resolveSources(settings.folders, settings.modules, this.cwd, this.options.modules ?? {}, (message) => out.warn(`warning: ${message}`), fleetChecksumCache(this.command, this.cwd, this.env))).sources, out, env: this.env, cwd: this.cwd,
        isTTY: this.isTTY, stdin: this.options.stdin, prompt: this.options.stderr, dialectLoaders: this.options.dialectLoaders, backupLoader: this.options.backupLoader, signal: this.options.signal,
      });
    }
    const resolved = await resolveDialect(settings, this.options.dialectLoaders);
    // validate and repair read every file: they are the commands that answer "is it intact?".
    const cacheDirectory = this.command === 'validate' || this.command === 'repair' ? undefined : defaultCacheDirectory(this.env);
    const checksumCache = cacheDirectory === undefined ? false : resolvePath(this.cwd, cacheDirectory);
    const sources = await resolveSources(settings.folders, settings.modules, this.cwd, this.options.modules ?? {}, (message) => out.warn(`warning: ${message}`), checksumCache, settings.maxFileBytes);
    // plan and up lint what they run: one read of the files serves both (internal/lint-gate.ts).
    if (this.command === 'plan' || this.command === 'up') sources.sources = sources.sources.map(loadOnce);
    out.debug(`checksum cache: ${checksumCache === false ? 'off' : checksumCache}`);
    out.debug(`dialect: ${resolved.primary.dialect.name}${resolved.fallback ? ` (fallback ${resolved.fallback.dialect.name})` : ''}`);
    out.debug(`sources: ${[...sources.folders.map((f) => `${f.shown} (module ${f.module})`), ...sources.modules.map((m) => `module ${m}`)].join(', ') || 'none'}`);
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
            hooks: this.lintGate(settings, sources, createBackupHooks({
              targets: [resolved.primary, ...(resolved.fallback ? [resolved.fallback] : [])],
              settings,
              env: this.env,
              loader: this.options.backupLoader,
              onSkip: (reason) => out.warn(`no backup: ${reason}`),
              onBackup: (id) => out.info(`backup ${id} taken and verified`),
              onProgress: backupProgressLine(out),
              onProgressEnd: () => out.progress(undefined),
              onPruneError: (error) => out.warn(`warning: pruning old backups failed: ${(error as Error).message}`),
            })),
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
          out.warn(`waiting for ${resolved.dialect.target} (attempt ${attempt}, ${Math.ceil(remainingMs / 1000)} s left): ${(error as Error).message}`),
      });
    }
    if (out.verbose && !(this.command === 'validate' && this.flag('offline'))) await this.describeDialect(resolved, settings);
    this.resolved = resolved;
    this.settings = settings;
    return this.migratorCommand(this.migrator, sources, settings);
  }

  /** `up`: strata lint checks the migrations to apply before the backup (internal/lint-gate.ts). */
  private lintGate(settings: Settings, sources: ResolvedSources, hooks: MigratorHooks): MigratorHooks {
    if (this.command !== 'up') return hooks;
    const { out } = this;
    return withLintGate(hooks, {
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
        if (result.errors && this.flag('allow-lint')) out.warn(`lint: ${result.errors} error${result.errors === 1 ? '' : 's'} accepted by --allow-lint`);
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
    out.debug(`target: ${settings.dialectObject ? `${settings.dialectObject.target} (dialect object from the config)` : redactUrl(settings.url)} (from ${URL_SOURCES[settings.urlSource]})`);
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
        this.oneTransaction = event.dryRun ? 'dry run: rolled back at the end' : event.singleTransaction ? 'not committed until the last step' : undefined;
        out.debug(`run ${event.runId}: ${event.steps} step${event.steps === 1 ? '' : 's'}${event.dryRun ? ' (dry run)' : ''}`);
        return;
      case 'step-start':
        if (this.isTTY && !out.json) out.debug(`${event.direction === 'up' ? 'applying' : 'reverting'} ${event.id} (${event.index + 1}/${event.total})`);
        return;
      case 'step-end': {
        // In one transaction (dry run, --single-transaction) a step that ran is not done yet.
        const pending = this.oneTransaction && event.outcome !== 'skipped';
        const verb = pending ? 'ran' : event.outcome;
        out.info(`  ${verb.padEnd(8)} ${event.id} (${event.durationMs < 0 ? '?' : event.durationMs} ms${pending ? `; ${this.oneTransaction}` : ''})`);
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

  private async newMigration(settings: Settings): Promise<number> {
    if (this.line.args.length !== 1) {
      throw new StrataError('STRATA_USAGE', this.line.args.length ? 'strata new takes one name (quote it if it has spaces)' : 'strata new needs a name', {
        hint: 'strata new add_users',
      });
    }
    const bumps = (['major', 'minor', 'patch'] as const).filter((b) => this.flag(b));
    if (bumps.length > 1) throw new StrataError('STRATA_USAGE', `Give only one of --major, --minor, --patch (got ${bumps.map((b) => `--${b}`).join(', ')})`);
    if (this.flag('sql') && this.flag('ts')) throw new StrataError('STRATA_USAGE', 'Give only one of --sql, --ts');
    const module = this.opt('module') ?? 'app';
    const folder = settings.folders.find((f) => f.module === module);
    if (!folder) {
      throw new StrataError('STRATA_USAGE', `Module ${module} has no migrations folder`, {
        hint: `Add it to the config: migrations: { ${module}: './migrations/${module}' }`,
      });
    }
    const { newMigration } = await import('./commands/new.js');
    const result = await newMigration({ cwd: this.cwd, folder, name: this.line.args[0]!, bump: bumps[0] ?? 'minor', format: this.flag('ts') ? 'ts' : 'sql' });
    this.emit(result, () => text.renderNew(this.out, result));
    return 0;
  }

  private async backup(settings: Settings): Promise<number> {
    const [action, id, ...rest] = this.line.args;
    const actions = ['create', 'list', 'verify', 'restore', 'prune'] as const;
    if (!action || !(actions as readonly string[]).includes(action)) {
      throw new StrataError('STRATA_USAGE', action ? `Unknown backup action ${JSON.stringify(action)}` : 'strata backup needs an action', {
        hint: `One of: ${actions.join(', ')} (strata backup --help)`,
      });
    }
    if (rest.length || (id !== undefined && action !== 'verify' && action !== 'restore')) this.noArgs(action === 'verify' || action === 'restore' ? 2 : 1);
    if (settings.dialectObject || settings.dialectPackage) {
      throw new StrataError('STRATA_BACKUP_FAILED', 'strata backup works with PostgreSQL and SQLite URLs, not with a custom dialect', {
        hint: 'Pass --url to name the database to back up',
      });
    }
    const parsed = parseTargetUrl(settings.url, this.cwd);
    const pkg = await loadBackupPackage(this.options.backupLoader);
    const manager = createManagerFor(parsed, parsed.kind, settings, pkg);
    const lockTimeoutMs = settings.lockTimeoutMs ?? 60_000;
    // The target's dialect, opened only to read its versions and to write the history event.
    let dialect: Promise<Dialect> | undefined;
    const targetDialect = () =>
      (dialect ??= resolveDialect({ ...settings, fallbackUrl: undefined }, this.options.dialectLoaders).then((resolved) => resolved.dialect));
    try {
      return await this.backupAction(action as (typeof actions)[number], id, settings, manager, pkg, targetDialect, lockTimeoutMs);
    } finally {
      if (dialect) await dialect.then((d) => d.destroy?.()).catch(() => {});
    }
  }

  private async backupAction(
    action: 'create' | 'list' | 'verify' | 'restore' | 'prune',
    id: string | undefined,
    settings: Settings,
    manager: ReturnType<typeof createManagerFor>,
    pkg: Awaited<ReturnType<typeof loadBackupPackage>>,
    targetDialect: () => Promise<Dialect>,
    lockTimeoutMs: number,
  ): Promise<number> {
    const { out } = this;
    const maxAge = this.opt('max-age');
    const { backup } = await import('./commands/backup.js');
    const lock = createLockHolder(targetDialect, lockTimeoutMs);
    const result = await backup({
      underLock: (work) => lock.run(work),
      lockTimeoutMs,
      onProgress: backupProgressLine(out),
      onProgressEnd: () => out.progress(undefined),
      versions: async () => {
        try {
          return await appliedVersions(await targetDialect(), lockTimeoutMs);
        } catch (error) {
          out.debug(`schema versions unavailable: ${(error as Error).message}`);
          return {};
        }
      },
      record: async (entry) => {
        try {
          const event = pkg.backupEvent(entry.manifest, entry.outcome, {
            action: entry.action,
            ...(entry.durationMs !== undefined ? { durationMs: entry.durationMs } : {}),
            ...(entry.error !== undefined ? { error: entry.error } : {}),
            ...(entry.details ? { details: entry.details } : {}),
            secrets: settings.secrets,
          });
          await recordEvent(await targetDialect(), event, lockTimeoutMs, lock.session);
          return true;
        } catch (error) {
          const message = `the ${entry.action} event could not be written to the history: ${(error as Error).message}`;
          if (entry.outcome === 'ok') out.warn(`warning: ${message}`);
          else out.debug(message);
          return false;
        }
      },
      action,
      manager,
      ...(id ? { id } : {}),
      ...(this.opt('into') ? { into: this.opt('into')! } : {}),
      ...(this.flag('from-other-target') ? { fromOtherTarget: true } : {}),
      ...(this.flag('all') ? { all: true } : {}),
      ...(this.flag('dry-run') ? { dryRun: true } : {}),
      ...(countOption(this.line.options, 'keep') ? { keep: countOption(this.line.options, 'keep')! } : {}),
      ...(maxAge ? { maxAgeMs: parseAge(maxAge) } : {}),
      ...(this.options.signal ? { signal: this.options.signal } : {}),
      confirm: (question) => this.confirm(question, `Refusing to restore over the live database ${manager.provider.database} without confirmation`),
    });
    this.emit(result, () => text.renderBackup(out, result));
    return result.action === 'verify' && !result.result.ok ? 6 : 0;
  }

  private async migratorCommand(migrator: Migrator, sources: ResolvedSources, settings: Settings): Promise<number> {
    const { out } = this;
    const signal = this.options.signal;
    switch (this.command) {
      case 'status': {
        this.noArgs();
        const { status } = await import('./commands/status.js');
        const result = await status({ migrator });
        const note = sources.missingDefaultFolder && sources.sources.length === 0
          ? `No migrations: ${sources.missingDefaultFolder.shown} does not exist (create one with \`strata init\` or \`strata new <name>\`).`
          : undefined;
        this.emit(result, () => text.renderStatus(out, result, note));
        const problemsCode = exitCodeForProblems(result.problems);
        if (problemsCode === 0 && this.flag('fail-on-pending')) {
          const pending = result.migrations.filter((m) => m.state === 'pending').map((m) => m.id);
          if (pending.length) {
            const error = new StrataError('STRATA_PENDING_MIGRATIONS', `${pending.length} migration${pending.length === 1 ? ' is' : 's are'} pending: ${pending.slice(0, 5).join(', ')}${pending.length > 5 ? ', …' : ''}`, {
              hint: 'Run `strata up` (status --fail-on-pending exits 3 until nothing is pending)',
            });
            text.renderError(out, error);
            return exitCodeFor(error);
          }
        }
        return problemsCode;
      }
      case 'validate': {
        this.noArgs();
        const { validate } = await import('./commands/validate.js');
        // Dialect files of other dialects (and a failover's fallback) are checked with their own splitter.
        const { otherDialectCheckers } = await import('./internal/statement-checkers.js');
        const others = await otherDialectCheckers(this.settings!.folders, this.resolved!.primary.dialect.name, this.options.dialectLoaders);
        const fallback = this.resolved!.fallback?.dialect;
        const alsoCheck = fallback && !others.some((o) => o.name === fallback.name) ? [...others, fallback] : others;
        const result = await validate({ migrator, offline: this.flag('offline'), alsoCheck });
        this.emit(result, () => text.renderValidate(out, result));
        return exitCodeForProblems(result.problems);
      }
      case 'plan': {
        this.noArgs();
        const { plan } = await import('./commands/plan.js');
        const steps = countOption(this.line.options, 'steps');
        const result = await plan({
          migrator,
          direction: this.flag('down') || steps !== undefined ? 'down' : 'up',
          ...(this.opt('to') ? { to: this.opt('to')! } : {}),
          ...(steps ? { steps } : {}),
          allowOutOfOrder: this.flag('allow-out-of-order'),
        });
        // Findings of strata lint on the steps to apply (when @strata/lint is installed).
        const { lintSteps } = await import('./internal/lint-gate.js');
        const lint = result.direction === 'up' && result.problems.length === 0
          ? await lintSteps(result.steps.map((step) => step.id), result.dialect, { sources: sources.sources, settings, cwd: this.cwd, modules: this.options.modules ?? {}, lintLoader: this.options.lintLoader, onSkip: (reason) => out.debug(reason) })
          : undefined;
        const renderLint = lint?.findings.length ? (await import('./render/lint.js')).renderLint : undefined;
        this.emit({ ...result, lint: lint ? { errors: lint.errors, warnings: lint.warnings, suppressed: lint.suppressed, findings: lint.findings } : null }, () => {
          text.renderPlan(out, result);
          if (lint && renderLint) renderLint(out, lint);
        });
        return exitCodeForProblems(result.problems);
      }
      case 'up': {
        this.noArgs();
        const { up } = await import('./commands/up.js');
        const report = await up({
          migrator,
          ...(this.opt('to') ? { to: this.opt('to')! } : {}),
          dryRun: this.flag('dry-run'),
          singleTransaction: this.flag('single-transaction'),
          allowOutOfOrder: this.flag('allow-out-of-order'),
          // The hooks run with --no-backup too (the lint gate); the backup hook itself honours the flag.
          noBackup: false,
          ...(signal ? { signal } : {}),
        });
        if (this.flag('no-backup') && report.steps.length && !report.dryRun) out.warn('no backup: skipped by --no-backup');
        this.emit(report, () => text.renderRun(out, report));
        return 0;
      }
      case 'down': {
        this.noArgs();
        const to = this.opt('to');
        const steps = countOption(this.line.options, 'steps');
        if (to && steps) throw new StrataError('STRATA_USAGE', 'Give --to or --steps, not both', { hint: 'strata down --steps 2, or strata down --to app@1.0.0' });
        const { down } = await import('./commands/down.js');
        const report = await down({
          migrator,
          ...(to ? { to } : {}),
          ...(steps ? { steps } : {}),
          dryRun: this.flag('dry-run'),
          noBackup: this.flag('no-backup'),
          ...(signal ? { signal } : {}),
          confirm: (ids) =>
            this.confirm(
              `Revert ${ids.length} migration${ids.length === 1 ? '' : 's'} on ${migrator.dialect.target}: ${ids.join(', ')}?`,
              `Refusing to revert ${ids.length} migration${ids.length === 1 ? '' : 's'} (${ids.join(', ')}) without confirmation`,
            ),
        });
        if (this.flag('no-backup') && report.steps.length && !report.dryRun) out.warn('no backup: skipped by --no-backup');
        this.emit(report, () => text.renderRun(out, report));
        return 0;
      }
      case 'repair': {
        this.noArgs();
        const { repair } = await import('./commands/repair.js');
        const list = (name: string) => {
          const values = listOption(this.line.options, name);
          return values.includes('all') ? ('all' as const) : values;
        };
        const ids = (name: string) => {
          const values = listOption(this.line.options, name);
          if (values.includes('all')) throw new StrataError('STRATA_USAGE', `--${name} takes migration ids, not "all"`, { hint: `strata repair --${name} app@1.2.0` });
          return values;
        };
        const result = await repair({
          migrator,
          acceptChecksums: list('accept-checksum'),
          dropFailed: list('drop-failed'),
          forgetMissing: list('forget'),
          markApplied: ids('mark-applied'),
          markReverted: ids('mark-reverted'),
          dryRun: this.flag('dry-run'),
          confirm: async (preview) => {
            if (!this.flag('yes')) {
              out.info('This will change the state table:');
              text.renderRepairActions(out, preview);
            }
            await this.confirm(
              `Apply ${preview.actions.length} repair${preview.actions.length === 1 ? '' : 's'} to ${preview.target}?`,
              `Refusing to apply ${preview.actions.length} repair${preview.actions.length === 1 ? '' : 's'} without confirmation`,
            );
          },
        });
        this.emit(result, () => text.renderRepair(out, result));
        return 0;
      }
      case 'baseline': {
        const version = this.line.args[0];
        if (!version) throw new StrataError('STRATA_USAGE', 'strata baseline needs a version', { hint: 'strata baseline 1.4.0, or strata baseline core@1.1.0' });
        this.noArgs(1);
        const { baseline } = await import('./commands/baseline.js');
        const result = await baseline({ migrator, version, dryRun: this.flag('dry-run') });
        this.emit(result, () => text.renderBaseline(out, result));
        return 0;
      }
      case 'history': {
        this.noArgs();
        const { history } = await import('./commands/history.js');
        const limit = countOption(this.line.options, 'limit');
        const migrationId = this.opt('migration');
        const result = await history({ migrator, ...(limit ? { limit } : {}), ...(migrationId ? { migrationId } : {}) });
        this.emit(result, () => text.renderHistory(out, result));
        return 0;
      }
      default:
        throw new StrataError('STRATA_USAGE', `Unknown command ${JSON.stringify(this.command)}`, { hint: 'Run `strata --help`' });
    }
  }
}

