import { ChaosReport, FAULT_KINDS, formatReport, runChaos, settingsFromEnv } from '../chaos/chaos';

/*
 * The reliability suite's CI profile (docs/reliability.md): cluster a distributed (every app its own process, two of
 * each sync app, over nats-server and PostgreSQL), b embedded, one shared channel of each kind (public, private,
 * read-only, DM, GM), 75 s of writes of every kind from both sides (files and acknowledgements included) with 20
 * websocket clients connected, and every fault kind once from a fixed seed, the network ones shortened. Nothing about
 * timing is asserted; only the checker's verdict (faults whose effect did not show count as violations), that every
 * kind happened and that events reached the clients (or the run proved nothing).
 */
describe('chaos smoke run', () => {
  let report: ChaosReport;

  it('loses, duplicates and misorders nothing acknowledged under every kind of fault', async () => {
    const settings = settingsFromEnv({
      CHAOS_SEED: process.env.CHAOS_SEED ?? '1807',
      CHAOS_SECONDS: '75',
      CHAOS_CLUSTERS: '2',
      CHAOS_CHANNELS: '1',
      CHAOS_USERS: '2',
      CHAOS_RATE: '2',
      CHAOS_FAULTS: FAULT_KINDS.join(','),
      CHAOS_DISTRIBUTED: '1',
      CHAOS_FAULT_GAP_SECONDS: '2',
      CHAOS_FAULT_SCALE: '0.4',
      CHAOS_CONVERGE_SECONDS: '90',
      CHAOS_WS_CLIENTS: '20',
      CHAOS_MEMORY_SAMPLE_SECONDS: '30',
    });
    report = await runChaos({ ...settings, log: (line) => process.stdout.write(`${line}\n`) });
    process.stdout.write(`${formatReport(report)}\n`);
    expect(new Set(report.faults.map((f) => f.kind))).toEqual(new Set(FAULT_KINDS));
    expect(report.acked).toBeGreaterThan(0);
    expect(report.load?.events).toBeGreaterThan(0);
    expect(report.violations).toEqual([]);
  }, 600_000);
});
