import * as path from 'node:path';
import { readPid } from '@fedchat/common';
import { startFederation } from '@fedchat/testing';
import { skewEnv } from './faults';
import { Load } from './load';

/** Experiment: CLIENTS websocket clients on one embedded cluster, SIGKILL it, restart it, watch the clients come back. */
async function main(): Promise<void> {
  const clients = Number(process.env.CLIENTS ?? 100);
  const t0 = Date.now();
  const log = (s: string) => process.stdout.write(`+${((Date.now() - t0) / 1000).toFixed(1)} s ${s}\n`);
  const skew = Number(process.env.SKEW_MS ?? 0);
  const fed = await startFederation({ clusters: ['b'], clusterEnv: skew ? { b: skewEnv(skew) } : undefined });
  const b = fed.clusters.b;
  try {
    const users = [await b.createUser('b-user0'), await b.createUser('b-user1')];
    const load = await Load.start(
      Array.from({ length: clients }, (_, i) => ({ cluster: b, user: users[i % 2] })),
      [b],
      600_000,
    );
    const show = () => log(JSON.stringify(load.clientStates()));
    show();
    const timer = setInterval(show, 2000);
    for (let round = 0; round < Number(process.env.ROUNDS ?? 1); round++) {
      if (process.env.MODE === 'postmaster') {
        const pid = readPid(path.join(b.dataDir!, 'postgres', 'postmaster.pid'))!;
        log(`SIGKILL of the postmaster ${pid}`);
        process.kill(pid, 'SIGKILL');
        const exit = await b.suite.processes.get('embedded')!.waitForExit();
        log(`exited ${JSON.stringify(exit)}`);
      } else {
        log('SIGKILL');
        await b.suite.processes.get('embedded')!.stop('SIGKILL');
      }
      await new Promise((r) => setTimeout(r, Number(process.env.DOWN_MS ?? 3000)));
      const r = Date.now();
      await b.restart();
      log(`restarted in ${((Date.now() - r) / 1000).toFixed(1)} s`);
      await new Promise((r) => setTimeout(r, Number(process.env.WATCH_MS ?? 60000)));
    }
    clearInterval(timer);
    const report = load.stop();
    log(`end: ${report.connectedAtEnd} connected, ${report.reconnects} reconnects, ${JSON.stringify(report.clientsAtEnd)}`);
  } finally {
    await fed.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err instanceof Error ? err.stack : err)}\n`);
  process.exitCode = 2;
});
