import * as fs from 'node:fs';
import * as path from 'node:path';
import { stopAllSuiteProcesses } from '@fedchat/testing';

/**
 * What every benchmark leaves for the summary (`summary.bench.ts`, the last step of `npm run bench`): one JSON line
 * per figure, appended to BENCH_RESULTS (default `dist-bench/bench-results.jsonl`). Each bench is its own process,
 * so a file is the simplest way to collect their figures into one table.
 */

/** The floor of this machine (`floor.ts`), measured in the same run. */
export type FloorFigure =
  | 'floor.pg.commit.p50'
  | 'floor.pg.commit.p99'
  | 'floor.pg.commit.rate'
  | 'floor.pg.batch.rate'
  | 'floor.http.rtt.p50'
  | 'floor.http.rtt.p99'
  | 'floor.disk.write';

/** The Prosody anchor's figures (issue 17, "A federated peer as anchor"), recorded by `recordProsodyAnchor`. */
export type ProsodyFigure =
  | 'prosody.latency.p50'
  | 'prosody.latency.p99'
  | 'prosody.sustained.receivedPerSec'
  | 'prosody.sustained.lagP50'
  | 'prosody.sustained.lagP99';

export interface BenchFigure {
  /** Shown in the summary's first column; the latest record of a name wins. */
  name: string;
  value: number;
  unit: string;
  /** Whether a larger value is better (rates) or a smaller one (times, latencies). */
  better: 'higher' | 'lower';
  /** The "must reach" and "aim", in `unit`. */
  mustReach?: number;
  aim?: number;
  /**
   * The floor figure this one compares to. `value` is this figure expressed in the floor's unit when the two
   * differ (e.g. a catch-up time as posts/s against the batched insert rate).
   */
  floor?: { figure: FloorFigure; value?: number };
  /** The Prosody figure this one compares to (same unit). */
  prosody?: ProsodyFigure;
  /** The size it was measured at, when that differs from the (e.g. a tiny run). */
  note?: string;
}

export interface RecordedFigure extends BenchFigure {
  bench: string;
  at: string;
  /** Recorded by a tiny-size run (BENCH_TINY=1): proves the bench runs, its values mean nothing. */
  tiny: boolean;
}

export function resultsFile(): string {
  return process.env.BENCH_RESULTS ?? path.join(__dirname, '..', '..', 'bench-results.jsonl');
}

/** Appends figures of `bench` to the results file (one line each, so concurrent appends cannot interleave). */
export function record(bench: string, ...figures: BenchFigure[]): void {
  const file = resultsFile();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const at = new Date().toISOString();
  const tiny = isTiny();
  for (const figure of figures) {
    if (!Number.isFinite(figure.value)) continue;
    const line: RecordedFigure = { ...figure, bench, at, tiny };
    fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
  }
}

export function readResults(file = resultsFile()): RecordedFigure[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line) => {
      if (line.trim() === '') return [];
      try {
        return [JSON.parse(line) as RecordedFigure];
      } catch {
        return []; // a line torn by a bench killed while writing it
      }
    });
}

/**
 * The figures of issue 17's target table (and a few more the benches print), with the issue's targets and the
 * floor and Prosody figures each compares to: the benches give only values, by name, to `recordFigures`.
 */
export const FIGURES = {
  'chat core, 16 clients, 1 channel': {
    unit: 'posts/s',
    better: 'higher',
    mustReach: 600,
    aim: 1000,
    floor: { figure: 'floor.pg.commit.rate' },
  },
  'chat core, 16 clients, 1 channel, p99': { unit: 'ms', better: 'lower', mustReach: 100, floor: { figure: 'floor.pg.commit.p99' } },
  'chat core, 16 clients, 16 channels': {
    unit: 'posts/s',
    better: 'higher',
    mustReach: 800,
    aim: 1500,
    floor: { figure: 'floor.pg.commit.rate' },
  },
  'propagation p50 at 20 posts/s': {
    unit: 'ms',
    better: 'lower',
    mustReach: 10,
    aim: 5,
    floor: { figure: 'floor.http.rtt.p50' },
    prosody: 'prosody.latency.p50',
  },
  'propagation p99 at 20 posts/s': {
    unit: 'ms',
    better: 'lower',
    mustReach: 30,
    aim: 15,
    floor: { figure: 'floor.http.rtt.p99' },
    prosody: 'prosody.latency.p99',
  },
  "sustained replication, share of A's ingest": { unit: '%', better: 'higher', mustReach: 100 },
  'sustained replication, rate on B': {
    unit: 'posts/s',
    better: 'higher',
    floor: { figure: 'floor.pg.commit.rate' },
    prosody: 'prosody.sustained.receivedPerSec',
  },
  'sustained replication, lag p50': {
    unit: 'ms',
    better: 'lower',
    floor: { figure: 'floor.http.rtt.p50' },
    prosody: 'prosody.sustained.lagP50',
  },
  'sustained replication, lag p99': {
    unit: 'ms',
    better: 'lower',
    mustReach: 100,
    aim: 50,
    floor: { figure: 'floor.http.rtt.p99' },
    prosody: 'prosody.sustained.lagP99',
  },
  // Compared to the floor as posts/s against the batched insert rate (give `floorValue`).
  'catch-up after an outage': { unit: 's', better: 'lower', mustReach: 15, aim: 5, floor: { figure: 'floor.pg.batch.rate' } },
  'global user sync': { unit: 'users/s', better: 'higher', mustReach: 5000, aim: 10000, floor: { figure: 'floor.pg.batch.rate' } },
  'attachment A → B, end to end': { unit: 'MiB/s', better: 'higher', mustReach: 250, aim: 320, floor: { figure: 'floor.disk.write' } },
  'attachment A → B, receiver RSS growth': { unit: 'MiB', better: 'lower', mustReach: 64 },
  'ping p99 while 10 invitations are accepted': {
    unit: 'ms',
    better: 'lower',
    mustReach: 20,
    aim: 5,
    floor: { figure: 'floor.http.rtt.p99' },
  },
  'bus request/reply p50': { unit: 'ms', better: 'lower', floor: { figure: 'floor.http.rtt.p50' } },
  'bus events': { unit: 'events/s', better: 'higher' },
  // Scale-out (distributed, NATS): one figure per replica count, compared like the catch-up (give `floorValue`).
  'scale-out catch-up, 1 sync replica': { unit: 's', better: 'lower', floor: { figure: 'floor.pg.batch.rate' } },
  'scale-out catch-up, 2 sync replicas': { unit: 's', better: 'lower', floor: { figure: 'floor.pg.batch.rate' } },
  'scale-out catch-up, 4 sync replicas': { unit: 's', better: 'lower', floor: { figure: 'floor.pg.batch.rate' } },
} satisfies Record<string, Omit<BenchFigure, 'name' | 'value'>>;

export type FigureName = keyof typeof FIGURES;

/** A figure's value; `floorValue` is the same in the floor figure's unit when that differs; `note` says the size. */
export type FigureValue = number | { value: number; floorValue?: number; note?: string };

/** Records figures of the catalogue above by name (undefined values are skipped: a part that did not run). */
export function recordFigures(bench: string, values: Partial<Record<FigureName, FigureValue | undefined>>): void {
  const figures: BenchFigure[] = [];
  for (const [name, given] of Object.entries(values) as [FigureName, FigureValue | undefined][]) {
    if (given === undefined) continue;
    const v = typeof given === 'number' ? { value: given } : given;
    const spec: Omit<BenchFigure, 'name' | 'value'> = FIGURES[name];
    figures.push({
      name,
      ...spec,
      value: v.value,
      note: v.note,
      floor: spec.floor && { figure: spec.floor.figure, value: v.floorValue },
    });
  }
  record(bench, ...figures);
}

/** What the Prosody anchor (`test/bench/prosody/`, `runProsodyAnchor()`) returns. */
export interface ProsodyAnchorResult {
  latency: { p50: number; p99: number; max: number; n: number };
  sustained: { sentPerSec: number; receivedPerSec: number; lagP50: number; lagP99: number };
}

/**
 * HOOK for the Prosody anchor: call with `await runProsodyAnchor()` in the same `npm run bench`, and the summary's
 * "ratio to Prosody" column is filled for the figures that name a `prosody` figure.
 */
export function recordProsodyAnchor(result: ProsodyAnchorResult): void {
  const ms = (name: ProsodyFigure, value: number): BenchFigure => ({ name, value, unit: 'ms', better: 'lower' });
  record(
    'prosody',
    ms('prosody.latency.p50', result.latency.p50),
    ms('prosody.latency.p99', result.latency.p99),
    { name: 'prosody.sustained.receivedPerSec', value: result.sustained.receivedPerSec, unit: 'msg/s', better: 'higher' },
    ms('prosody.sustained.lagP50', result.sustained.lagP50),
    ms('prosody.sustained.lagP99', result.sustained.lagP99),
  );
}

/** The q-quantile (0..1) of unsorted samples, as the benches print them. */
export function quantile(samples: number[], q: number): number {
  const sorted = [...samples].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

export function isTiny(): boolean {
  return process.env.BENCH_TINY === '1';
}

/**
 * Sizes of a tiny run (BENCH_TINY=1): seconds, not minutes, so CI runs every bench and they cannot rot. Set here,
 * when a bench imports this module (before its own top-level reads its size settings); a size given explicitly in
 * the environment wins.
 */
export const TINY_SIZES: Record<string, string> = {
  // chat-core
  BENCH_POSTS: '40',
  BENCH_CONCURRENCY: '4',
  BENCH_CHANNELS: '2',
  BENCH_DELIVERY_SAMPLES: '10',
  // secure-connections
  BENCH_INVITES: '1',
  // shared-channels
  BENCH_LATENCY_SECONDS: '1',
  BENCH_SUSTAINED_SECONDS: '2',
  BENCH_SUSTAINED_POSTERS: '4',
  BENCH_SUSTAINED_CHANNELS: '2',
  BENCH_CATCHUP_POSTS: '100',
  BENCH_CATCHUP_CHANNELS: '4',
  BENCH_LOAD_CONCURRENCY: '8',
  BENCH_CATCHUP_TIMEOUT_S: '120',
  // user-sync
  BENCH_GLOBAL_USERS: '200',
  BENCH_GLOBAL_TIMEOUT_S: '120',
  // file-transfer
  BENCH_FILE_MIB: '4',
  // bus
  BENCH_BUS_REQUESTS: '200',
  BENCH_BUS_EVENTS: '1000',
  // floor
  BENCH_FLOOR_COMMITS: '200',
  BENCH_FLOOR_ROWS: '5000',
  BENCH_FLOOR_HTTP: '200',
  BENCH_FLOOR_DISK_MIB: '16',
  // scale-out
  BENCH_SCALE_POSTS: '100',
  BENCH_SCALE_CHANNELS: '4',
  // One distributed start (several replicas) instead of three: each costs tens of seconds on a busy machine.
  BENCH_SCALE_REPLICAS: '2',
  BENCH_SCALE_TIMEOUT_S: '120',
};

if (isTiny()) {
  for (const [key, value] of Object.entries(TINY_SIZES)) process.env[key] ??= value;
}

/**
 * A bench stopped by a signal (Ctrl-C, the smoke test's timeout) stops the suite processes it started first, so that
 * their PostgreSQL servers do not outlive it. Not inside jest, whose workers import this module for its types.
 */
if (process.env.JEST_WORKER_ID === undefined) {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void stopAllSuiteProcesses().finally(() => process.exit(130)));
  }
}
