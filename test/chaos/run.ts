import { formatReport, runChaos, settingsFromEnv } from './chaos';

/** `npm run chaos`: one run with the settings of the environment (see docs/reliability.md); exit 1 on a violation. */
async function main(): Promise<void> {
  const report = await runChaos(settingsFromEnv());
  process.stdout.write(`${formatReport(report)}\n`);
  process.exitCode = report.violations.length === 0 ? 0 : 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`chaos: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 2;
});
