/** The five apps of the suite; `embedded` is the one-process composition of all of them. */
export const APP_NAMES = ['gateway', 'remote-cluster', 'shared-channel-sync', 'file-transfer', 'user-sync'] as const;
export type SuiteAppName = (typeof APP_NAMES)[number];

/** The apps that answer over the bus (the gateway is their client). */
export const BACKEND_APPS = APP_NAMES.filter((a) => a !== 'gateway') as Exclude<SuiteAppName, 'gateway'>[];
