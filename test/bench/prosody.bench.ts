import { anchorOptionsFromEnv, formatProsodyAnchor, readSuiteFigures, runProsodyAnchor } from './prosody/anchor';
import { recordProsodyAnchor } from './report';

/**
 * `npm run bench` (after shared-channels): the federated peer as anchor, two Prosody servers on loopback measured in
 * the shared-channels bench's parts 1 and 2 (test/bench/prosody/anchor.ts; docs/benchmarks.md, "Anchor: Prosody").
 * Sizes come from the same variables as that bench's; BENCH_TINY=1 runs a few seconds. Where the shared-channels
 * bench has recorded its figures in this run's results file, they are printed side by side with the ratio.
 */
async function main(): Promise<void> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const result = await runProsodyAnchor({ ...anchorOptionsFromEnv(), log: out });
  out(formatProsodyAnchor(result, readSuiteFigures()));
  // For the summary's "ratio to Prosody" column.
  recordProsodyAnchor(result);
  if (process.env.BENCH_PROSODY_JSON) out(`PROSODY_ANCHOR_RESULT ${JSON.stringify(result)}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
