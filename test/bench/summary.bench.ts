import * as fs from 'node:fs';
import { Floor, formatFloor, measureFloor } from './floor';
import { BenchFigure, readResults, record, RecordedFigure, resultsFile } from './report';

/**
 * `npm run bench` (last step): measures the floor of this machine (`floor.ts`), then prints every figure the benches
 * recorded in this run as one table: figure | now | must reach | aim | met? | ratio to floor | ratio to Prosody.
 * Afterwards the results file is moved aside (`.<time>.jsonl`), so the next run starts from an empty one.
 */
const out = (line = '') => process.stdout.write(`${line}\n`);

export function floorFigures(floor: Floor): BenchFigure[] {
  return [
    { name: 'floor.pg.commit.p50', value: floor.pgCommit.p50, unit: 'ms', better: 'lower' },
    { name: 'floor.pg.commit.p99', value: floor.pgCommit.p99, unit: 'ms', better: 'lower' },
    { name: 'floor.pg.commit.rate', value: floor.pgCommit.perSecond, unit: 'commits/s', better: 'higher' },
    { name: 'floor.pg.batch.rate', value: floor.pgBatch.rowsPerSecond, unit: 'rows/s', better: 'higher' },
    { name: 'floor.http.rtt.p50', value: floor.httpRoundTrip.p50, unit: 'ms', better: 'lower' },
    { name: 'floor.http.rtt.p99', value: floor.httpRoundTrip.p99, unit: 'ms', better: 'lower' },
    { name: 'floor.disk.write', value: floor.diskWrite.mibPerSecond, unit: 'MiB/s', better: 'higher' },
  ];
}

function number(x: number): string {
  const abs = Math.abs(x);
  if (abs >= 100) return Math.round(x).toLocaleString('en-US');
  if (abs >= 10) return x.toFixed(1);
  if (abs >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

function ratio(x: number): string {
  return `${x >= 10 ? x.toFixed(0) : x >= 0.1 ? x.toFixed(2) : Number(x.toPrecision(2))}×`;
}

/** `aim` when the aim is met, `yes` for the must-reach target alone, `NO` when not, `—` without a target. */
export function verdict(f: BenchFigure): string {
  const reaches = (target: number) => (f.better === 'higher' ? f.value >= target : f.value <= target);
  if (f.aim !== undefined && reaches(f.aim)) return 'aim';
  if (f.mustReach === undefined) return '—';
  return reaches(f.mustReach) ? 'yes' : 'NO';
}

/** One row per figure name (the latest record wins), suite figures first in recording order, then the anchors'. */
export function summaryTable(results: RecordedFigure[]): string[] {
  const latest = new Map<string, RecordedFigure>();
  for (const r of results) {
    latest.delete(r.name); // re-inserted: the order is that of the latest record
    latest.set(r.name, r);
  }
  const target = (f: BenchFigure, t: number | undefined) =>
    t === undefined ? '—' : `${f.better === 'higher' ? '≥' : '≤'} ${number(t)} ${f.unit}`;
  const rows: string[][] = [['figure', 'now', 'must reach', 'aim', 'met?', 'ratio to floor', 'ratio to Prosody']];
  const suite = [...latest.values()].filter((f) => !f.name.startsWith('floor.') && !f.name.startsWith('prosody.'));
  for (const f of suite) {
    const floor = f.floor ? latest.get(f.floor.figure) : undefined;
    const prosody = f.prosody ? latest.get(f.prosody) : undefined;
    rows.push([
      f.note ? `${f.name} (${f.note})` : f.name,
      `${number(f.value)} ${f.unit}`,
      target(f, f.mustReach),
      target(f, f.aim),
      verdict(f),
      floor ? `${ratio((f.floor!.value ?? f.value) / floor.value)} ${floor.name.slice('floor.'.length)}` : '',
      prosody ? ratio(f.value / prosody.value) : '',
    ]);
  }
  const anchors = [...latest.values()].filter((f) => f.name.startsWith('floor.') || f.name.startsWith('prosody.'));
  for (const f of anchors) rows.push([f.name, `${number(f.value)} ${f.unit}`, '', '', '', '', '']);
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => [...r[c]].length)));
  const line = (r: string[]) => `| ${r.map((cell, c) => cell + ' '.repeat(widths[c] - [...cell].length)).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)];
}

async function main(): Promise<void> {
  const floor = await measureFloor();
  for (const line of formatFloor(floor)) out(line);
  record('floor', ...floorFigures(floor));
  // Prosody anchor: its figures are in the results file when its bench step (recordProsodyAnchor) ran before this one.

  const file = resultsFile();
  const results = readResults(file);
  out();
  out(`benchmark summary (${results.length} figures recorded in ${file})`);
  out('ratio to floor: the figure ÷ the named floor figure, in the floor unit (rates: the share of the floor reached;');
  out('times: how many floors it takes); ratio to Prosody: the figure ÷ the same figure of the Prosody anchor.');
  if (results.some((r) => r.tiny)) out('TINY RUN (BENCH_TINY=1): the figures only show that every bench runs; they mean nothing.');
  for (const line of summaryTable(results)) out(line);
  out();
  fs.renameSync(file, file.replace(/\.jsonl$/, '') + `.${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
