import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readResults, recordFigures, recordProsodyAnchor, RecordedFigure } from '../bench/report';
import { summaryTable, verdict } from '../bench/summary.bench';

describe('benchmark summary', () => {
  let dir: string;
  const saved = process.env.BENCH_RESULTS;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-summary-'));
    process.env.BENCH_RESULTS = path.join(dir, 'results.jsonl');
  });

  afterEach(() => {
    if (saved === undefined) delete process.env.BENCH_RESULTS;
    else process.env.BENCH_RESULTS = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const figure = (over: Partial<RecordedFigure>): RecordedFigure => ({
    name: 'x',
    value: 1,
    unit: 'ms',
    better: 'lower',
    bench: 'b',
    at: '',
    tiny: false,
    ...over,
  });

  it('judges against the targets in the direction that is better', () => {
    const rate = { unit: 'posts/s', better: 'higher' as const, mustReach: 600, aim: 1000 };
    expect(verdict(figure({ ...rate, value: 599 }))).toBe('NO');
    expect(verdict(figure({ ...rate, value: 600 }))).toBe('yes');
    expect(verdict(figure({ ...rate, value: 1000 }))).toBe('aim');
    const time = { unit: 's', better: 'lower' as const, mustReach: 15, aim: 5 };
    expect(verdict(figure({ ...time, value: 49.4 }))).toBe('NO');
    expect(verdict(figure({ ...time, value: 15 }))).toBe('yes');
    expect(verdict(figure({ ...time, value: 4 }))).toBe('aim');
    expect(verdict(figure({ value: 3 }))).toBe('—');
  });

  it('records figures with the issue targets and prints them with their ratios to the floor and to Prosody', () => {
    recordFigures('shared-channels', {
      'propagation p50 at 20 posts/s': 22.6,
      'catch-up after an outage': { value: 50, floorValue: 2000, note: '100000 posts, 100 channels' },
    });
    recordFigures('floor', {}); // nothing to record is fine
    const floor = (name: string, value: number, unit: string) => ({
      name,
      value,
      unit,
      better: 'lower',
      bench: 'floor',
      at: '',
      tiny: false,
    });
    fs.appendFileSync(process.env.BENCH_RESULTS!, `${JSON.stringify(floor('floor.http.rtt.p50', 0.25, 'ms'))}\n`);
    fs.appendFileSync(process.env.BENCH_RESULTS!, `${JSON.stringify(floor('floor.pg.batch.rate', 250_000, 'rows/s'))}\n`);
    recordProsodyAnchor({
      latency: { p50: 11.3, p99: 30, max: 40, n: 600 },
      sustained: { sentPerSec: 1, receivedPerSec: 1, lagP50: 1, lagP99: 1 },
    });

    const results = readResults();
    const catchUp = results.find((r) => r.name === 'catch-up after an outage')!;
    expect(catchUp).toMatchObject({
      unit: 's',
      better: 'lower',
      mustReach: 15,
      aim: 5,
      floor: { figure: 'floor.pg.batch.rate', value: 2000 },
    });

    const table = summaryTable(results).join('\n');
    // 22.6 ms is 90.4 loopback round trips, and twice Prosody's 11.3 ms.
    expect(table).toMatch(
      /\| propagation p50 at 20 posts\/s +\| 22\.6 ms +\| ≤ 10\.0 ms +\| ≤ 5\.00 ms +\| NO +\| 90× http\.rtt\.p50 +\| 2\.00× +\|/,
    );
    // The catch-up compares as posts/s against the batched insert rate: 2,000 / 250,000.
    expect(table).toMatch(
      /\| catch-up after an outage \(100000 posts, 100 channels\) +\| 50\.0 s +\| ≤ 15\.0 s +\| ≤ 5\.00 s +\| NO +\| 0\.008× pg\.batch\.rate +\| +\|/,
    );
    expect(table).toMatch(/\| prosody\.latency\.p50 +\| 11\.3 ms/);
  });

  it('keeps the latest record of a figure', () => {
    recordFigures('bus', { 'bus events': 100 });
    recordFigures('bus', { 'bus events': 200 });
    const table = summaryTable(readResults());
    expect(table.filter((line) => line.includes('bus events'))).toEqual([expect.stringContaining('| 200 events/s')]);
  });
});
