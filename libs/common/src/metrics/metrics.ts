import {
  collectDefaultMetrics,
  Counter,
  CounterConfiguration,
  Gauge,
  GaugeConfiguration,
  Histogram,
  HistogramConfiguration,
  register,
} from 'prom-client';

/** Prefix of the suite's own metrics. Protocol metrics named after Mattermost's use `mattermost_`. */
export const METRICS_PREFIX = 'fedchat_';

/*
 * prom-client's default registry is per process. In embedded mode five apps share one process, so each metric
 * is created once and looked up afterwards: these helpers are the only way the suite creates metrics.
 */
export function counter<L extends string>(config: CounterConfiguration<L>): Counter<L> {
  return (register.getSingleMetric(config.name) as Counter<L> | undefined) ?? new Counter(config);
}

export function gauge<L extends string>(config: GaugeConfiguration<L>): Gauge<L> {
  return (register.getSingleMetric(config.name) as Gauge<L> | undefined) ?? new Gauge(config);
}

export function histogram<L extends string>(config: HistogramConfiguration<L>): Histogram<L> {
  return (register.getSingleMetric(config.name) as Histogram<L> | undefined) ?? new Histogram(config);
}

/** Counters with a `remote_id` label whose series start at 0 for every known remote (see RemoteSeriesAtZero). */
const perRemoteCounters = new Set<Counter<string>>();

/**
 * A counter of something that can go wrong with one remote (errors, failures, refusals), and its sent-count peers that
 * error ratios divide by. Its `{remote_id="…"}` series exists at 0 as soon as the remote is known, so that panels and
 * alerts see 0 rather than no data until the first error.
 */
export function perRemoteCounter<L extends string>(config: CounterConfiguration<L>): Counter<L> {
  if (!(config.labelNames ?? []).includes('remote_id' as L))
    throw new Error(`${config.name}: a per-remote counter needs a remote_id label`);
  const metric = counter(config);
  perRemoteCounters.add(metric as Counter<string>);
  return metric;
}

/** Creates the `{remote_id}` series of every per-remote counter at 0; an existing series keeps its value. */
export function zeroPerRemoteCounters(remoteIds: Iterable<string>): void {
  for (const remoteId of remoteIds) {
    // Only remote_id is set: other labels (reason, timeout...) are known only when something happens.
    for (const metric of perRemoteCounters) metric.inc({ remote_id: remoteId }, 0);
  }
}

let defaultsStarted = false;

/** Process metrics (CPU, memory, event loop lag), once per process. */
export function startDefaultMetrics(): void {
  if (defaultsStarted) return;
  defaultsStarted = true;
  collectDefaultMetrics({ prefix: METRICS_PREFIX });
}

export { register as metricsRegistry };
