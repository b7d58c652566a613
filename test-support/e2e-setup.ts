import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../apps/strata/dist/strata.cjs', import.meta.url));

/**
 * The e2e tests spawn the built bin: without a build every one of them would fail with the same
 * spawn error, so the run stops here once, with the next step.
 */
export default function setup(): void {
  if (!existsSync(BIN)) {
    throw new Error(
      `The e2e tests run the built bin, and ${BIN} does not exist. Run \`pnpm build\` first (\`pnpm test:e2e\` and \`pnpm test\` build before testing).`,
    );
  }
}
