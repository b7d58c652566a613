import { resolve as resolvePath } from 'node:path';
import { createMigrator, defaultCacheDirectory, type Dialect, type Migrator, type MigratorEvent, StrataError, TOOL_VERSION } from '@strata/core';
import { type CommandLine, countOption, listOption, parseCommandLine, stringOption } from './argv.js';
import { findCommand } from './command-specs.js';
import { loadConfig } from './config.js';
import { type DialectLoaders, resolveDialect, type ResolvedDialect } from './dialect-loader.js';
import { parseAge } from './duration.js';
import { loadEnvFile } from './env-file.js';
import { exitCodeFor, exitCodeForProblems } from './exit-codes.js';
import { appliedVersions, type BackupLoader, createBackupHooks, createManagerFor, loadBackupPackage, recordEvent } from './internal/backup-wiring.js';
import { confirm } from './internal/confirm.js';
import { setPreferCommonJs } from './internal/import-package.js';
import { backupProgressLine, createOutput, type Output, shouldUseColor, type WritableLike } from './output.js';
import { renderCommandHelp, renderMainHelp } from './render/help.js';
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
    progress: (options.stderrIsTTY ?? false) && !has('--quiet'),
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
    const code = await interruptible(run.execute(), line.command, options.signal);
    migrator = run.migrator;
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

    const loaded = await loadConfig(this.cwd, this.opt('config'), this.options.configAliases);
    const settings = resolveSettings(this.line.options, this.env, loaded.config, this.cwd, loaded.path);
    out.addSecrets(settings.secrets);
    this.describeSettings(settings);

    if (this.command === 'new') return this.newMigration(settings);
    if (this.command === 'backup') return this.backup(settings);

    const runs = this.command === 'up' || this.command === 'down';
    const resolved = await resolveDialect(settings, this.options.dialectLoaders);
    // validate and repair read every file: they are the commands that answer "is it intact?".
    const cacheDirectory = this.command === 'validate' || this.command === 'repair' ? undefined : defaultCacheDirectory(this.env);
    const checksumCache = cacheDirectory === undefined ? false : resolvePath(this.cwd, cacheDirectory);
    const sources = await resolveSources(settings.folders, settings.modules, this.cwd, this.options.modules ?? {}, (message) => out.warn(`warning: ${message}`), checksumCache);
    out.debug(`checksum cache: ${checksumCache === false ? 'off' : checksumCache}`);
    out.debug(`dialect: ${resolved.primary.dialect.name}${resolved.fallback ? ` (fallback ${resolved.fallback.dialect.name})` : ''}`);
    out.debug(`sources: ${[...sources.folders.map((f) => `${f.shown} (module ${f.module})`), ...sources.modules.map((m) => `module ${m}`)].join(', ') || 'none'}`);
    this.migrator = createMigrator({
      dialect: resolved.dialect,
      sources: sources.sources,
      ...(settings.lockTimeoutMs !== undefined ? { lockTimeoutMs: settings.lockTimeoutMs } : {}),
      ...(settings.lockRetries !== undefined ? { lockRetries: settings.lockRetries } : {}),
      ...(runs
        ? {
            hooks: createBackupHooks({
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
          }
        : {}),
      onEvent: (event) => this.progress(event),
    });
    if (out.verbose && !(this.command === 'validate' && this.flag('offline'))) await this.describeDialect(resolved, settings);
    this.resolved = resolved;
    this.settings = settings;
    return this.migratorCommand(this.migrator, sources);
  }

  private describeSettings(settings: Settings): void {
    const { out } = this;
    out.debug(`strata ${this.options.version ?? TOOL_VERSION} on Node ${process.versions.node}`);
    out.debug(`config: ${settings.configPath ?? 'none'}`);
    out.debug(`target: ${settings.dialectObject ? `${settings.dialectObject.target} (dialect object from the config)` : redactUrl(settings.url)} (from ${settings.urlSource === 'flag' ? '--url' : settings.urlSource === 'env' ? 'DATABASE_URL' : settings.urlSource === 'config' ? 'the config file' : 'the default'})`);
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

  private progress(event: MigratorEvent): void {
    const { out } = this;
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
    const result = await backup({
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
          });
          await recordEvent(await targetDialect(), event, lockTimeoutMs);
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
      ...(countOption(this.line.options, 'keep') ? { keep: countOption(this.line.options, 'keep')! } : {}),
      ...(maxAge ? { maxAgeMs: parseAge(maxAge) } : {}),
      ...(this.options.signal ? { signal: this.options.signal } : {}),
      confirm: (question) => this.confirm(question, `Refusing to restore over the live database ${manager.provider.database} without confirmation`),
    });
    this.emit(result, () => text.renderBackup(out, result));
    return result.action === 'verify' && !result.result.ok ? 6 : 0;
  }

  private async migratorCommand(migrator: Migrator, sources: ResolvedSources): Promise<number> {
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
        return exitCodeForProblems(result.problems);
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
        this.emit(result, () => text.renderPlan(out, result));
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
          noBackup: this.flag('no-backup'),
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

