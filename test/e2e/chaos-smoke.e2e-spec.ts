import { ChaosReport, formatReport, runChaos, settingsFromEnv } from '../chaos/chaos';

/*
 * The reliability suite's CI profile (docs/reliability.md): two embedded clusters, one shared channel of each kind
 * (public, private, read-only, DM, GM), about 35 s of writes of every kind from both sides (files and
 * acknowledgements included) with 20 websocket clients connected, one SIGKILL of a cluster and one partition from
 * a fixed seed. Nothing about timing is asserted; only the checker's verdict, and that both faults happened and
 * events reached the clients (or the run proved nothing).
 */
describe('chaos smoke run', () => {
  let report: ChaosReport;

  it('loses, duplicates and misorders nothing acknowledged under a kill and a partition', async () => {
    const settings = settingsFromEnv({
      CHAOS_SEED: process.env.CHAOS_SEED ?? '1807',
      CHAOS_SECONDS: '35',
      CHAOS_CLUSTERS: '2',
      CHAOS_CHANNELS: '1',
      CHAOS_USERS: '2',
      CHAOS_RATE: '2',
      CHAOS_FAULTS: 'kill,partition',
      CHAOS_FAULT_GAP_SECONDS: '6',
      CHAOS_CONVERGE_SECONDS: '90',
      CHAOS_WS_CLIENTS: '20',
      CHAOS_MEMORY_SAMPLE_SECONDS: '30',
    });
    report = await runChaos({ ...settings, log: () => undefined });
    process.stdout.write(`${formatReport(report)}\n`);
    expect(new Set(report.faults.map((f) => f.kind))).toEqual(new Set(['kill', 'partition']));
    expect(report.acked).toBeGreaterThan(0);
    expect(report.load?.events).toBeGreaterThan(0);
    expect(report.violations).toEqual([]);
  }, 300_000);
});
