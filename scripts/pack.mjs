#!/usr/bin/env node
// `pnpm run pack [folder]`: packs every publishable (non-private) workspace package into one
// folder (default ./packed), as npm would publish it (`pnpm pack` turns `workspace:` ranges into
// real ones), and prints the tarballs. Install them into a project with
//   npm install --save-dev /path/to/packed/*.tgz better-sqlite3
// until the packages are on the registry. Run `pnpm build` first (the script does not build).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const destination = resolve(process.cwd(), process.argv[2] ?? join(root, 'packed'));
const pnpm = process.env.npm_execpath?.includes('pnpm') ? [process.execPath, process.env.npm_execpath] : ['pnpm'];
const run = (args, cwd) =>
  execFileSync(pnpm[0], [...pnpm.slice(1), ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

const packages = JSON.parse(run(['ls', '-r', '--depth', '-1', '--json'], root)).filter(
  (p) => !p.private && p.path !== root.replace(/\/$/, ''),
);
if (existsSync(destination)) for (const file of readdirSync(destination)) if (file.endsWith('.tgz')) rmSync(join(destination, file));
mkdirSync(destination, { recursive: true });
for (const pkg of packages) {
  if (!existsSync(join(pkg.path, 'dist'))) {
    console.error(`${pkg.name}: dist/ is missing; run pnpm build first`);
    process.exit(1);
  }
  run(['pack', '--pack-destination', destination], pkg.path);
}
for (const file of readdirSync(destination)
  .filter((f) => f.endsWith('.tgz'))
  .sort())
  console.log(join(destination, file));
