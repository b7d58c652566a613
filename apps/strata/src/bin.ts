// The `strata` command. `--version` is answered before anything else is imported: start-up is
// part of the product, and a version check should cost no more than starting Node.
declare const __STRATA_VERSION__: string;

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`${__STRATA_VERSION__}\n`);
} else {
  const { main } = await import('./main.js');
  await main(argv, __STRATA_VERSION__);
}
