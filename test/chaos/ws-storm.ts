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
      Number(process.env.HANDSHAKE_MS ?? 120_000),
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
      // A cluster short of CPU, as on a loaded machine: it runs `DUTY` of every 100 ms, stopped the rest.
      const duty = Number(process.env.DUTY ?? 1);
      const throttleUntil = Date.now() + Number(process.env.THROTTLE_MS ?? 0);
      const pid = b.suite.processes.get('embedded')!.pid;
      if (duty < 1) log(`throttled to ${duty * 100} % for ${process.env.THROTTLE_MS} ms`);
      while (duty < 1 && Date.now() < throttleUntil) {
        process.kill(pid, 'SIGSTOP');
        await new Promise((r) => setTimeout(r, 100 * (1 - duty)));
        process.kill(pid, 'SIGCONT');
        await new Promise((r) => setTimeout(r, 100 * duty));
      }
      if (duty < 1) log('unthrottled');
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
