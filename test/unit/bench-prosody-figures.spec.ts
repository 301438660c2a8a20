import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { anchorOptionsFromEnv, formatProsodyAnchor, ProsodyAnchorResult, readSuiteFigures } from '../bench/prosody/figures';

const result: ProsodyAnchorResult = {
  latency: { p50: 4, p99: 20, max: 25, n: 600, missing: 0 },
  sustained: {
    sentPerSec: 500,
    receivedPerSec: 400,
    lagP50: 10,
    lagP99: 50,
    sent: 30000,
    received: 30000,
    failed: 0,
    drainedAfterSeconds: 0.5,
    cpuSeconds: { prosodyA: 30, prosodyB: 10, clients: 40 },
  },
  options: { latencyRate: 20, latencySeconds: 30, sustainedSeconds: 60, sustainedPosters: 16, sustainedRooms: 4 },
};

describe('Prosody anchor figures', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anchor-figures-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reads the suite's latest figures, derives A's rate from B's rate and its share, and skips a torn line", () => {
    const file = path.join(dir, 'results.jsonl');
    const lines = [
      { name: 'propagation p50 at 20 posts/s', value: 30 },
      { name: 'propagation p50 at 20 posts/s', value: 22 },
      { name: 'propagation p99 at 20 posts/s', value: 40 },
      { name: 'sustained replication, rate on B', value: 150 },
      { name: "sustained replication, share of A's ingest", value: 75 },
      { name: 'sustained replication, lag p99', value: 240 },
      { name: 'chat core, 16 clients, 1 channel', value: 204 },
    ].map((l) => JSON.stringify(l));
    fs.writeFileSync(file, `${lines.join('\n')}\n{"name":"sustained replication, lag p50","va`);
    expect(readSuiteFigures(file)).toEqual({ latencyP50: 22, latencyP99: 40, receivedPerSec: 150, sentPerSec: 200, lagP99: 240 });
  });

  it('has no suite figures when no bench wrote the results file', () => {
    expect(readSuiteFigures(path.join(dir, 'absent.jsonl'))).toEqual({});
  });

  it("prints the anchor's figures alone, or side by side with the suite's and the ratio suite / Prosody", () => {
    const alone = formatProsodyAnchor(result);
    expect(alone).toContain('n=600 p50 4.0 ms, p99 20.0 ms, max 25.0 ms; missing on B: 0');
    expect(alone).toContain('CPU during the window: Prosody A 30.0 s, Prosody B 10.0 s, the XMPP clients (this process) 40.0 s of 60 s');
    expect(alone).not.toContain('fedchat/Prosody');

    const side = formatProsodyAnchor(result, { latencyP50: 22, lagP99: 240, sentPerSec: 200 }).split('\n');
    expect(side.find((l) => l.includes('latency p50'))).toMatch(/22\.0 ms\s+4\.0 ms\s+5\.50x$/);
    expect(side.find((l) => l.includes("sustained, A's rate"))).toMatch(/200 msg\/s\s+500 msg\/s\s+0\.40x$/);
    expect(side.find((l) => l.includes('sustained, lag p99'))).toMatch(/240\.0 ms\s+50\.0 ms\s+4\.80x$/);
    expect(side.find((l) => l.includes('sustained, lag p50'))).toMatch(/-\s+10\.0 ms\s+-$/);
  });

  it("takes the shared-channels bench's sizes, or a few seconds with BENCH_TINY=1", () => {
    expect(anchorOptionsFromEnv({})).toEqual({
      latencyRate: 20,
      latencySeconds: 30,
      sustainedSeconds: 60,
      sustainedPosters: 16,
      sustainedRooms: 4,
    });
    expect(anchorOptionsFromEnv({ BENCH_TINY: '1', BENCH_SUSTAINED_POSTERS: '8' })).toMatchObject({
      latencySeconds: 2,
      sustainedSeconds: 2,
      sustainedPosters: 8,
    });
  });
});
