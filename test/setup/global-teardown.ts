export default async function globalTeardown(): Promise<void> {
  const cluster = (globalThis as { __fedchatPg?: { stop: () => Promise<void> } }).__fedchatPg;
  await cluster?.stop();
}
