import { Worker } from 'node:worker_threads';

/**
 * Key derivations (PBKDF2, scrypt) on worker threads of low CPU priority. On libuv's thread pool a 0.2–0.3 s
 * derivation competes with the event loop as an equal: on two cores, one derivation plus the server's own helpers
 * (its PostgreSQL, the peers it confirms with) left requests waiting for a core, so a ping's p99 rose from 7 to
 * 35 ms while invitations were accepted. A worker thread can lower its own priority (on Linux the nice value is per
 * thread, and `os.setPriority` with no pid applies to the calling thread): the scheduler then gives a core to the
 * event loop, or to anything else runnable, the moment it wants one, and the derivation mostly takes what is left.
 * Where lowering is refused the worker runs at normal priority, as the thread pool did.
 */

export type KdfRequest =
  | { kind: 'pbkdf2'; password: Buffer; salt: Buffer; iterations: number; keyBytes: number; digest: string }
  | { kind: 'scrypt'; password: Buffer; salt: Buffer; keyBytes: number; options: { N: number; r: number; p: number; maxmem: number } };

/**
 * The nice value the workers ask for: a tenth of a normal thread's CPU share when they compete (CFS weight 110 vs
 * 1024). Measured under load 40–45 against 19 (weight 15): pings equally fast (p99 3.1–3.5 vs 2.5–3.9 ms), but
 * ten derivations took 25–28 s instead of 27–73 s, which on a machine that busy comes near an accept's 60 s limit.
 */
export const KDF_WORKER_NICE = 10;

// Evaluated as the worker's source (CommonJS), so it needs no file of its own in the build or under ts-jest.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { pbkdf2Sync, scryptSync } = require('node:crypto');
const os = require('node:os');
let nice = 0;
try { os.setPriority(${KDF_WORKER_NICE}); nice = os.getPriority(); } catch { nice = os.getPriority(); }
parentPort.postMessage({ ready: true, nice });
parentPort.on('message', (req) => {
  try {
    const password = Buffer.from(req.password);
    const salt = Buffer.from(req.salt);
    const key = req.kind === 'pbkdf2'
      ? pbkdf2Sync(password, salt, req.iterations, req.keyBytes, req.digest)
      : scryptSync(password, salt, req.keyBytes, req.options);
    parentPort.postMessage({ key });
  } catch (err) {
    parentPort.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
});
`;

interface KdfWorker {
  worker: Worker;
  /** The nice value the worker thread runs at (KDF_WORKER_NICE unless the system refused). */
  nice: Promise<number>;
}

/**
 * Up to `size` workers, started on first use and kept (unreferenced: they never keep the process alive); each
 * derives one key at a time, so callers must not run more than `size` derivations at once (`ConcurrencyLimit`).
 */
export class KdfPool {
  private readonly idle: KdfWorker[] = [];
  private started = 0;

  constructor(private readonly size: number) {}

  async derive(req: KdfRequest): Promise<Buffer> {
    const slot = this.idle.pop() ?? this.start();
    try {
      const key = await this.run(slot, req);
      this.idle.push(slot);
      return key;
    } catch (err) {
      // A worker that failed in an unknown way is not reused.
      void slot.worker.terminate();
      this.started--;
      throw err;
    }
  }

  /** The nice values of the workers started so far (for tests and diagnostics). */
  async niceValues(): Promise<number[]> {
    return Promise.all(this.idle.map((w) => w.nice));
  }

  private start(): KdfWorker {
    if (this.started >= this.size) throw new Error(`KdfPool: more than ${this.size} derivations at once`);
    this.started++;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    // An idle worker that fails is noticed at its next use (the error handler of `run`); none may go unheard.
    worker.on('error', () => undefined);
    const nice = new Promise<number>((resolve, reject) => {
      worker.once('message', (m: { ready?: boolean; nice?: number }) => resolve(m.nice ?? 0));
      worker.once('error', reject);
    });
    nice.catch(() => undefined);
    return { worker, nice };
  }

  private async run(slot: KdfWorker, req: KdfRequest): Promise<Buffer> {
    // Referenced while it works, so that a process waiting only for a key does not exit under it.
    slot.worker.ref();
    try {
      await slot.nice;
      return await this.exchange(slot, req);
    } finally {
      slot.worker.unref();
    }
  }

  private exchange(slot: KdfWorker, req: KdfRequest): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const onError = (err: Error) => {
        slot.worker.off('message', onMessage);
        reject(err);
      };
      const onMessage = (m: { key?: Uint8Array; error?: string }) => {
        slot.worker.off('error', onError);
        if (m.key) resolve(Buffer.from(m.key));
        else reject(new Error(m.error ?? 'key derivation failed'));
      };
      slot.worker.once('message', onMessage);
      slot.worker.once('error', onError);
      slot.worker.postMessage(req);
    });
  }
}
