import { ChaosReport, FAULT_KINDS, formatReport, runChaos, settingsFromEnv } from '../chaos/chaos';

/*
 * The reliability suite's CI profile (docs/reliability.md): cluster a distributed (every app its own process, two of
 * each sync app, over nats-server and PostgreSQL), b embedded, two shared channels, 75 s of writes from both sides (most faults fall inside them), and
 * every fault kind once from a fixed seed, the network ones shortened. Nothing about timing is asserted; only the
 * checker's verdict (faults whose effect did not show count as violations), and that every kind happened (or the
 * run proved nothing).
 */
describe('chaos smoke run', () => {
  let report: ChaosReport;

  it('loses, duplicates and misorders nothing acknowledged under every kind of fault', async () => {
    const settings = settingsFromEnv({
      CHAOS_SEED: process.env.CHAOS_SEED ?? '1807',
      CHAOS_SECONDS: '75',
      CHAOS_CLUSTERS: '2',
      CHAOS_CHANNELS: '2',
      CHAOS_USERS: '2',
      CHAOS_RATE: '2',
      CHAOS_FAULTS: FAULT_KINDS.join(','),
      CHAOS_DISTRIBUTED: '1',
      CHAOS_FAULT_GAP_SECONDS: '2',
      CHAOS_FAULT_SCALE: '0.4',
      CHAOS_CONVERGE_SECONDS: '90',
    });
    report = await runChaos({ ...settings, log: (line) => process.stdout.write(`${line}\n`) });
    process.stdout.write(`${formatReport(report)}\n`);
    expect(new Set(report.faults.map((f) => f.kind))).toEqual(new Set(FAULT_KINDS));
    expect(report.acked).toBeGreaterThan(0);
    expect(report.violations).toEqual([]);
  }, 600_000);
});
