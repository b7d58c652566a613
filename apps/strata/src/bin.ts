// The `strata` command. `--version` is answered before anything else is loaded: start-up is part
// of the product, and a version check should cost no more than starting Node.
declare const __STRATA_VERSION__: string;

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`${__STRATA_VERSION__}\n`);
} else {
  // Node 21+ defines `navigator`; on Node 20 pg probes for Cloudflare Workers by touching the
  // global `Response`, which loads Node's fetch implementation (~30 ms) for nothing. This process
  // is ours, so give it Node 21's answer first. https://github.com/brianc/node-postgres/blob/master/packages/pg/lib/stream.js
  if (typeof (globalThis as { navigator?: unknown }).navigator === 'undefined') {
    Object.defineProperty(globalThis, 'navigator', {
      value: Object.freeze({ userAgent: `Node.js/${process.versions.node.split('.')[0]}` }),
      configurable: true,
      writable: true,
      enumerable: false,
    });
  }
  // main.cjs is built next to this file (a separate entry, kept external so --version skips it).
  const { main } = require('./main.cjs') as typeof import('./main.js');
  void main(argv, __STRATA_VERSION__);
}
