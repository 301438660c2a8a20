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

let defaultsStarted = false;

/** Process metrics (CPU, memory, event loop lag), once per process. */
export function startDefaultMetrics(): void {
  if (defaultsStarted) return;
  defaultsStarted = true;
  collectDefaultMetrics({ prefix: METRICS_PREFIX });
}

export { register as metricsRegistry };
