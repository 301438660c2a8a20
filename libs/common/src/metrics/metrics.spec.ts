import { counter, metricsRegistry, perRemoteCounter, zeroPerRemoteCounters } from './metrics';

describe('per-remote counters', () => {
  const failures = perRemoteCounter({ name: 'test_per_remote_failures_total', help: 'h', labelNames: ['remote_id', 'reason'] as const });
  const other = counter({ name: 'test_not_per_remote_total', help: 'h', labelNames: ['remote_id'] as const });

  it('creates the {remote_id} series at 0 for each remote, and only for per-remote counters', async () => {
    zeroPerRemoteCounters(['r1', 'r2']);
    const text = await metricsRegistry.metrics();
    expect(text).toContain('test_per_remote_failures_total{remote_id="r1"} 0\n');
    expect(text).toContain('test_per_remote_failures_total{remote_id="r2"} 0\n');
    expect(text).not.toMatch(/test_not_per_remote_total\{/);
    other.inc({ remote_id: 'r1' });
  });

  it('keeps the value of a series that already counted', async () => {
    failures.inc({ remote_id: 'r3' }, 2);
    zeroPerRemoteCounters(['r3']);
    expect(await metricsRegistry.metrics()).toContain('test_per_remote_failures_total{remote_id="r3"} 2\n');
  });

  it('refuses a counter without a remote_id label', () => {
    expect(() => perRemoteCounter({ name: 'test_no_remote_total', help: 'h', labelNames: ['subject'] as const })).toThrow(/remote_id/);
  });
});
