import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/*
 * The Prosody anchor benchmark's tiny run (BENCH_TINY=1, a few seconds), so it cannot rot: it is compiled like
 * `npm run bench` does and run as its own process. Nothing about timing is asserted; only that messages crossed from
 * A to B over s2s in both scenarios, and that no Prosody process outlives the run (ended normally or by Ctrl-C).
 * The kernel's parent-death signal (setpriv) is switched off here, so the benchmark's own cleanup is what is tested.
 */
const root = path.resolve(__dirname, '..', '..');
const entry = path.join(root, 'dist-bench', 'test', 'bench', 'prosody.bench.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(env: Record<string, string>, interruptWhen?: (stdout: string) => boolean): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry], {
      cwd: root,
      env: { ...process.env, BENCH_TINY: '1', BENCH_PROSODY_PDEATHSIG: '0', BENCH_RESULTS: '/nonexistent/none.jsonl', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (interruptWhen && !interrupted && interruptWhen(stdout)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The directory the run's servers used, from its first line. */
function serverDir(stdout: string): string {
  const match = /prosody in (\S+):/.exec(stdout);
  if (!match) throw new Error(`no "prosody in <dir>" line in:\n${stdout}`);
  return match[1];
}

/** Processes whose command line names `dir` (the servers' config files are in it). */
function processesUsing(dir: string): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(dir)) found.push(`${pid}: ${cmdline}`);
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

describe('Prosody anchor benchmark, tiny run', () => {
  beforeAll(() => {
    const bin = path.join(root, 'node_modules', '.bin');
    execFileSync(path.join(bin, 'tsc'), ['-p', 'tsconfig.bench.json'], { cwd: root, stdio: 'inherit' });
    execFileSync(path.join(bin, 'tsc-alias'), ['-p', 'tsconfig.bench.json'], { cwd: root, stdio: 'inherit' });
  }, 300_000);

  it('delivers every message from A to B in both scenarios and leaves no Prosody running', async () => {
    const result = await run({ BENCH_PROSODY_JSON: '1' });
    process.stdout.write(result.stdout);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const json = /^PROSODY_ANCHOR_RESULT (.+)$/m.exec(result.stdout);
    expect(json).not.toBeNull();
    const figures = JSON.parse(json![1]) as {
      latency: { n: number; missing: number };
      sustained: { sent: number; received: number; failed: number };
      options: { latencyRate: number; latencySeconds: number };
    };
    // Every message of the latency part (its rate for its seconds: the tiny sizes) arrived.
    expect(figures.options.latencyRate * figures.options.latencySeconds).toBeGreaterThan(0);
    expect(figures.latency).toMatchObject({ n: figures.options.latencyRate * figures.options.latencySeconds, missing: 0 });
    expect(figures.sustained.sent).toBeGreaterThan(0);
    expect(figures.sustained.failed).toBe(0);
    expect(figures.sustained.received).toBe(figures.sustained.sent);

    const dir = serverDir(result.stdout);
    expect(processesUsing(dir)).toEqual([]);
    expect(fs.existsSync(dir)).toBe(false);
  }, 180_000);

  it('stops both servers when interrupted with SIGINT', async () => {
    const result = await run({ BENCH_LATENCY_SECONDS: '60' }, (stdout) => stdout.includes('prosody in '));
    const dir = serverDir(result.stdout);
    expect(result.code).toBe(130);
    expect(processesUsing(dir)).toEqual([]);
    expect(fs.existsSync(dir)).toBe(false);
  }, 180_000);
});
