import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { loadConfig } from '../config/config.schema';
import { SCHEDULED_JOBS, ScheduledJobs } from './scheduled-jobs';

describe('ScheduledJobs', () => {
  const config = loadConfig('embedded', { SHARED_CHANNELS_POLL_INTERVAL_MS: '300', REMOTE_CLUSTER_PING_INTERVAL_MS: '60000' });

  beforeEach(() => jest.useFakeTimers());
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('ticks at the interval the table derives from the config, under the job name, until stopped', () => {
    const registry = new SchedulerRegistry();
    const jobs = new ScheduledJobs(registry, config);
    let ticks = 0;
    jobs.start('shared-channel-sync.sync-poll', () => ticks++);
    jobs.start('remote-cluster.heartbeat', () => undefined);
    expect(registry.getIntervals()).toEqual(['shared-channel-sync.sync-poll', 'remote-cluster.heartbeat']);
    jest.advanceTimersByTime(299);
    expect(ticks).toBe(0);
    jest.advanceTimersByTime(1);
    expect(ticks).toBe(1);
    jest.advanceTimersByTime(900);
    expect(ticks).toBe(4);
    jobs.stop('shared-channel-sync.sync-poll');
    jest.advanceTimersByTime(3000);
    expect(ticks).toBe(4);
    expect(registry.getIntervals()).toEqual(['remote-cluster.heartbeat']);
    // Stopping twice (or after ScheduleModule's own shutdown sweep) is harmless.
    jobs.stop('shared-channel-sync.sync-poll');
    jobs.stop('remote-cluster.heartbeat');
    expect(registry.getIntervals()).toEqual([]);
  });

  it('derives capped intervals from their settings', () => {
    expect(SCHEDULED_JOBS['remote-cluster.heartbeat'].intervalMs(config)).toBe(1000);
    expect(SCHEDULED_JOBS['remote-cluster.online-gauge'].intervalMs(config)).toBe(15_000);
    expect(SCHEDULED_JOBS['shared-channel-sync.invite-retry'].intervalMs(config)).toBe(1500);
    expect(SCHEDULED_JOBS['file-transfer.upload-expiry'].intervalMs(config)).toBe(10 * 60_000);
    const short = loadConfig('embedded', { REMOTE_CLUSTER_PING_INTERVAL_MS: '400', FILE_TRANSFER_UPLOAD_EXPIRY_MS: '60000' });
    expect(SCHEDULED_JOBS['remote-cluster.heartbeat'].intervalMs(short)).toBe(400);
    expect(SCHEDULED_JOBS['remote-cluster.online-gauge'].intervalMs(short)).toBe(400);
    expect(SCHEDULED_JOBS['file-transfer.upload-expiry'].intervalMs(short)).toBe(15_000);
  });

  it('refuses a second start of the same job: each job has one owner', () => {
    const jobs = new ScheduledJobs(new SchedulerRegistry(), config);
    jobs.start('user-sync.poll', () => undefined);
    expect(() => jobs.start('user-sync.poll', () => undefined)).toThrow(/user-sync\.poll/);
    jobs.stop('user-sync.poll');
  });

  it('logs a tick that throws or rejects and keeps ticking', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const jobs = new ScheduledJobs(new SchedulerRegistry(), config);
    let ticks = 0;
    jobs.start('shared-channel-sync.sync-poll', () => {
      ticks++;
      if (ticks === 1) throw new Error('sync boom');
      if (ticks === 2) return Promise.reject(new Error('async boom'));
      return undefined;
    });
    jest.advanceTimersByTime(300);
    jest.advanceTimersByTime(300);
    await Promise.resolve();
    jest.advanceTimersByTime(300);
    expect(ticks).toBe(3);
    expect(errors.mock.calls.map(([details]) => (details as { err: Error }).err.message)).toEqual(['sync boom', 'async boom']);
    jobs.stop('shared-channel-sync.sync-poll');
  });
});
