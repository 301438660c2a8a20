import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '@fedchat/testing';
import { FigureName, readResults } from '../bench/report';

/*
 * Every benchmark of `npm run bench`, in its tiny size (BENCH_TINY=1: seconds, not minutes), so none of them can
 * rot: each must run to the end against the built suite and record its figures. Nothing about timing is asserted.
 * The benches are compiled here (tsconfig.bench.json into dist-bench/), as `npm run bench` compiles them; the suite
 * itself comes from `npm run build`, which `npm test` runs first.
 */
const run = promisify(execFile);
const bin = (name: string) => path.join(REPO_ROOT, 'node_modules', '.bin', name);

const BENCHES: { bench: string; figures: (FigureName | string)[] }[] = [
  {
    bench: 'chat-core',
    figures: ['chat core, 16 clients, 1 channel', 'chat core, 16 clients, 1 channel, p99', 'chat core, 16 clients, 16 channels'],
  },
  { bench: 'secure-connections', figures: ['ping p99 while 10 invitations are accepted'] },
  {
    bench: 'shared-channels',
    figures: [
      'propagation p50 at 20 posts/s',
      'propagation p99 at 20 posts/s',
      "sustained replication, share of A's ingest",
      'sustained replication, rate on B',
      'sustained replication, lag p50',
      'sustained replication, lag p99',
      'catch-up after an outage',
    ],
  },
  { bench: 'user-sync', figures: ['global user sync'] },
  { bench: 'file-transfer', figures: ['attachment A → B, end to end', 'attachment A → B, receiver RSS growth'] },
  { bench: 'bus', figures: ['bus request/reply p50', 'bus events'] },
  { bench: 'scale-out', figures: ['scale-out catch-up, 2 sync replicas'] },
];

describe('benchmarks, tiny size', () => {
  let dir: string;
  let results: string;

  const runBench = async (bench: string): Promise<string> => {
    const script = path.join(REPO_ROOT, 'dist-bench', 'test', 'bench', `${bench}.bench.js`);
    try {
      const { stdout } = await run(process.execPath, [script], {
        cwd: REPO_ROOT,
        // Suite processes may start slowly when other work shares the machine; the sizes are what keeps this short.
        env: { SUITE_READY_TIMEOUT_MS: '150000', ...process.env, BENCH_TINY: '1', BENCH_RESULTS: results },
        timeout: 280_000,
        maxBuffer: 16 * 1024 * 1024,
      });
      return stdout;
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`${bench} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
    }
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fedchat-bench-smoke-'));
    results = path.join(dir, 'results.jsonl');
    await run(bin('tsc'), ['-p', 'tsconfig.bench.json'], { cwd: REPO_ROOT });
    await run(bin('tsc-alias'), ['-p', 'tsconfig.bench.json'], { cwd: REPO_ROOT });
  }, 300_000);

  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each(BENCHES)(
    '$bench runs to the end and records its figures',
    async ({ bench, figures }) => {
      await runBench(bench);
      const recorded = readResults(results).filter((r) => r.bench === bench);
      expect(recorded.map((r) => r.name).sort()).toEqual([...figures].sort());
      for (const r of recorded) {
        expect(Number.isFinite(r.value)).toBe(true);
        expect(r.tiny).toBe(true);
      }
    },
    300_000,
  );

  it('the summary measures the floor and prints every recorded figure in one table', async () => {
    const stdout = await runBench('summary');
    for (const { figures } of BENCHES) for (const name of figures) expect(stdout).toContain(`| ${name} (`);
    expect(stdout).toMatch(/\| figure +\| now +\| must reach +\| aim +\| met\? +\| ratio to floor +\| ratio to Prosody +\|/);
    expect(stdout).toMatch(/floor\.pg\.commit\.rate +\| [\d,.]+ commits\/s/);
    expect(stdout).toMatch(/\d+(\.\d+)?× pg\.commit\.rate/);
    // Moved aside, so the next run starts empty.
    expect(fs.existsSync(results)).toBe(false);
  }, 180_000);
});
