import { counter, gauge, histogram, METRICS_PREFIX } from '../metrics/metrics';

/** The bus's series; their names are what dashboards and alerts read (see deploy/prometheus). */
export const busMessages = counter({
  name: `${METRICS_PREFIX}bus_messages_total`,
  help: 'Bus messages by subject, role (sent, received) and outcome',
  labelNames: ['subject', 'role', 'outcome'] as const,
});

export const busRequestSeconds = histogram({
  name: `${METRICS_PREFIX}bus_request_duration_seconds`,
  help: 'Round trip of bus requests',
  labelNames: ['subject'] as const,
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});

export const busHandlersInFlight = gauge({
  name: `${METRICS_PREFIX}bus_handlers_in_flight`,
  help: 'Bus handlers running now',
});
