import type { LintStatement } from './lint-statement.js';

/** What every rule knows about the migration being linted. */
export interface RuleContext {
  /** The migration's transaction mode, from its `-- strata:transaction` directive. */
  transaction: boolean;
  /** The `lock_timeout` strata sets for the session (0: none). */
  lockTimeoutMs: number;
  /** Records a finding of `rule` on `statement`. */
  report(rule: string, statement: LintStatement, message: string): void;
}

/** Lower-cases an unquoted identifier the way both engines fold it (enough for matching names). */
export const foldName = (name: string): string => name.toLowerCase();
