import * as fs from 'node:fs';
import * as os from 'node:os';
import { downloadSha256, metricValue, peakRss, startFederation, uploadFile, userPosts, waitFor } from '@fedchat/testing';
import { recordFigures } from './report';

/**
 * `npm run bench` (part 4): file transfer between two embedded clusters on this machine, A sharing a channel with B.
 * A 1 GiB file (random bytes streamed from a generator) is uploaded on A and attached to a post; the time from the
 * post to B showing it (which it does only once B holds the whole file) gives the transfer throughput. The resident
 * memory of both cluster processes is sampled during the transfer, and their peak (VmHWM) read at the end.
 * BENCH_FILE_MIB sets the size (default 1024).
 */
const FILE_MIB = Number(process.env.BENCH_FILE_MIB ?? 1024);
const MiB = 1024 * 1024;

const ENV = {
  LOG_LEVEL: 'warn',
  REMOTE_CLUSTER_ALLOW_PRIVATE_ADDRESSES: 'true',
  REMOTE_CLUSTER_PING_INTERVAL_MS: '1000',
  MM_FILESETTINGS_MAXFILESIZE: String(2 * FILE_MIB * MiB),
  // File transfer settings given to the bench (e.g. FILE_TRANSFER_SEGMENT_BYTES) reach both clusters.
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('FILE_TRANSFER_'))),
} as Record<string, string>;

const out = (line = '') => process.stdout.write(`${line}\n`);
const mib = (bytes: number) => (bytes / MiB).toFixed(0);

/** CPU seconds (user + system) a process has used so far: under load, the cost per GiB says more than the wall clock. */
function cpuSeconds(pid: number): number {
  // Fields 14 and 15 of /proc/<pid>/stat, after the command name (which may hold spaces) in parentheses.
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;

function rss(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return kb ? Number(kb[1]) * 1024 : 0;
}

async function main(): Promise<void> {
  const cpus = os.cpus();
  out(
    `file transfer benchmark (two embedded clusters on one machine: ${cpus.length} CPUs ${cpus[0]?.model ?? ''}, ` +
      `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, Node ${process.version})`,
  );
  const fed = await startFederation({ clusters: ['a', 'b'], env: ENV });
  try {
    const { a, b } = fed.clusters;
    const alice = await a.createUser('alice');
    const bob = await b.createUser('bob');
    const channel = await a
      .api()
      .post<{ id: string }>('/channels', { team_id: a.teamId, name: 'bench-files', display_name: 'Files', type: 'O' });
    await a.api().post(`/channels/${channel.id}/members`, { user_id: alice.id });
    await a.api().post(`/remotecluster/${a.remoteIds.b}/channels/${channel.id}/invite`);
    await waitFor(
      'channel on B',
      async () => ((await b.api().request('GET', `/channels/${channel.id}`)).status === 200 ? true : undefined),
      60_000,
    );
    await b.api().post(`/channels/${channel.id}/members`, { user_id: bob.id });
    const pids = { a: a.suite.processes.get('embedded')!.pid, b: b.suite.processes.get('embedded')!.pid };
    const idle = { a: rss(pids.a), b: rss(pids.b) };

    const uploadStart = performance.now();
    const file = await uploadFile(a.url, alice.token, channel.id, 'bench.bin', FILE_MIB * MiB);
    const uploadSeconds = (performance.now() - uploadStart) / 1000;

    const sampled = { a: 0, b: 0 };
    const sampler = setInterval(() => {
      sampled.a = Math.max(sampled.a, rss(pids.a));
      sampled.b = Math.max(sampled.b, rss(pids.b));
    }, 50);
    const sentBefore = await metricValue(a.url, 'fedchat_file_transfer_sent_bytes_total', { remote_id: a.remoteIds.b });
    // When the first byte left A (before: the post's sync noticing the file, the upload session) and the last (after:
    // B assembling and checking the file, then the post's sync).
    let bytesOutAt = 0;
    let firstByteAt = 0;
    const watcher = setInterval(() => {
      // A failed scrape (a loaded machine) only loses one sample; unhandled, it would end the bench and orphan its clusters.
      metricValue(a.url, 'fedchat_file_transfer_sent_bytes_total', { remote_id: a.remoteIds.b }).then(
        (n) => {
          if (!firstByteAt && n > sentBefore) firstByteAt = performance.now();
          if (!bytesOutAt && n - sentBefore >= FILE_MIB * MiB) bytesOutAt = performance.now();
        },
        () => undefined,
      );
      // Not more often: each scrape of /metrics costs A CPU (prom-client's process metrics), which the figure includes.
    }, 100);
    const cpuBefore = { a: cpuSeconds(pids.a), b: cpuSeconds(pids.b) };
    const start = performance.now();
    const post = await a.api(alice.token).post<{ id: string }>('/posts', { channel_id: channel.id, message: 'bench', file_ids: [file.id] });
    await waitFor(
      'the post on B',
      async () => ((await userPosts(b.api(bob.token), channel.id)).some((p) => p.id === post.id) ? true : undefined),
      1_800_000,
      100,
    );
    const seconds = (performance.now() - start) / 1000;
    const cpu = { a: cpuSeconds(pids.a) - cpuBefore.a, b: cpuSeconds(pids.b) - cpuBefore.b };
    clearInterval(sampler);
    clearInterval(watcher);
    const peak = { a: peakRss(pids.a), b: peakRss(pids.b) };

    const got = await downloadSha256(b.url, bob.token, file.id);
    if (got?.sha256 !== file.sha256) throw new Error('the file on B differs from the one sent');
    const sent = (await metricValue(a.url, 'fedchat_file_transfer_sent_bytes_total', { remote_id: a.remoteIds.b })) - sentBefore;

    out(`   file: ${FILE_MIB} MiB, uploaded to A in ${uploadSeconds.toFixed(1)} s (${(FILE_MIB / uploadSeconds).toFixed(0)} MiB/s)`);
    out(
      `   transfer A -> B (post on A until B shows it, file complete and verified): ${seconds.toFixed(1)} s, ${(FILE_MIB / seconds).toFixed(0)} MiB/s`,
    );
    const onWire = (bytesOutAt - start) / 1000;
    out(
      `   bytes sent by A: ${mib(sent)} MiB; the last left A after ${onWire.toFixed(1)} s (${(FILE_MIB / onWire).toFixed(0)} MiB/s on the wire)`,
    );
    const firstByte = (firstByteAt - start) / 1000;
    out(
      `   stages (metric polled every 100 ms): first byte out after ${firstByte.toFixed(2)} s, bytes crossing ` +
        `${(onWire - firstByte).toFixed(2)} s, last byte to the post on B ${(seconds - onWire).toFixed(2)} s`,
    );
    out(
      `   CPU used during the transfer (user + system): A ${cpu.a.toFixed(2)} s, B ${cpu.b.toFixed(2)} s; ` +
        `per GiB: A ${((cpu.a * 1024) / FILE_MIB).toFixed(2)} s, B ${((cpu.b * 1024) / FILE_MIB).toFixed(2)} s`,
    );
    out(`   resident memory, idle before / sampled max during transfer / peak over the run (VmHWM, includes the upload):`);
    out(`     A (sender):   ${mib(idle.a)} / ${mib(sampled.a)} / ${mib(peak.a)} MiB`);
    out(`     B (receiver): ${mib(idle.b)} / ${mib(sampled.b)} / ${mib(peak.b)} MiB`);
    out(
      `   RSS growth during the transfer (sampled max - idle; target <= 64 MiB): A ${mib(sampled.a - idle.a)} MiB, B ${mib(sampled.b - idle.b)} MiB`,
    );
    recordFigures('file-transfer', {
      'attachment A → B, end to end': { value: FILE_MIB / seconds, note: `${FILE_MIB} MiB` },
      'attachment A → B, receiver RSS growth': { value: (sampled.b - idle.b) / MiB, note: `${FILE_MIB} MiB` },
    });
    out();
  } finally {
    await fed.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
