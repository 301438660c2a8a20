import { ChaosReport, formatReport, runChaos, settingsFromEnv } from '../chaos/chaos';

/*
 * The reliability suite's CI profile (docs/reliability.md): two embedded clusters, two shared channels, about
 * 35 s of writes from both sides with one SIGKILL of a cluster and one partition from a fixed seed. Nothing about
 * timing is asserted; only the checker's verdict, and that both faults happened (or the run proved nothing).
 */
describe('chaos smoke run', () => {
  let report: ChaosReport;

  it('loses, duplicates and misorders nothing acknowledged under a kill and a partition', async () => {
    const settings = settingsFromEnv({
      CHAOS_SEED: process.env.CHAOS_SEED ?? '1807',
      CHAOS_SECONDS: '35',
      CHAOS_CLUSTERS: '2',
      CHAOS_CHANNELS: '2',
      CHAOS_USERS: '2',
      CHAOS_RATE: '2',
      CHAOS_FAULTS: 'kill,partition',
      CHAOS_FAULT_GAP_SECONDS: '6',
      CHAOS_CONVERGE_SECONDS: '90',
    });
    report = await runChaos({ ...settings, log: () => undefined });
    process.stdout.write(`${formatReport(report)}\n`);
    expect(new Set(report.faults.map((f) => f.kind))).toEqual(new Set(['kill', 'partition']));
    expect(report.acked).toBeGreaterThan(0);
    expect(report.violations).toEqual([]);
  }, 300_000);
});
