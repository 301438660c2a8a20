import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { PodMonitor, PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service } from 'kubernetes-models/v1';

/*
 * The optional KEDA and monitoring components, and the alerting rules. Overlays are rendered here as `kubectl
 * kustomize` would for the features they use (resources, components, namespace, replicas, strategic-merge and JSON
 * patches), and every rendered object is validated against the JSON schema of its kind: Kubernetes 1.27's OpenAPI
 * (npm kubernetes-models), KEDA 2.10's CRDs (npm @kubernetes-models/keda) and the Prometheus Operator 0.65's CRDs
 * (npm @kubernetes-models/prometheus-operator), compiled validators of ajv. Offline: no cluster, no kustomize binary.
 * These schemas do not refuse unknown fields, so the tests below also check the fields that matter by name.
 */

const ROOT = path.resolve(__dirname, '../..');
const KUSTOMIZE = path.join(ROOT, 'deploy/kustomize');
const RULES_FILE = path.join(ROOT, 'deploy/prometheus/fedchat-alerts.rules.yml');
const RULES_TEST_FILE = path.join(ROOT, 'deploy/prometheus/fedchat-alerts.test.yml');
const RENDERED = ['base', 'overlays/dev', 'overlays/production', 'overlays/production-keda'];
const APPS = ['gateway', 'remote-cluster', 'shared-channel-sync', 'file-transfer', 'user-sync'];

/** The queue gauge each KEDA-scaled app is scaled on. */
const QUEUE_GAUGES: Record<string, string> = {
  'shared-channel-sync': 'mattermost_shared_channels_task_queue_size',
  'file-transfer': 'fedchat_file_transfer_pending',
  'user-sync': 'fedchat_user_sync_profiles_pending',
};

type Obj = Record<string, any>;

// ---- a small kustomize ----------------------------------------------------------------------------------------

function yamlDocs(file: string): Obj[] {
  return parseAllDocuments(fs.readFileSync(file, 'utf8'))
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      return doc.toJS() as Obj;
    })
    .filter((d) => d !== null && d !== undefined);
}

const KNOWN_FIELDS = ['apiVersion', 'kind', 'namespace', 'resources', 'components', 'patches', 'replicas', 'images'];
const CLUSTER_SCOPED = ['Namespace'];

const sameObject = (a: Obj, b: Obj) => a.kind === b.kind && a.metadata?.name === b.metadata?.name;

/** A strategic merge patch without list merge keys: maps merge, lists and scalars replace, null removes. */
function mergePatch(target: Obj, patch: Obj): Obj {
  const out: Obj = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else if (typeof value === 'object' && !Array.isArray(value) && typeof out[key] === 'object' && !Array.isArray(out[key]))
      out[key] = mergePatch(out[key], value);
    else out[key] = value;
  }
  return out;
}

function jsonPatch(target: Obj, ops: Obj[]): Obj {
  const copy = structuredClone(target);
  for (const op of ops) {
    const keys = String(op.path).split('/').slice(1);
    const last = keys.pop()!;
    let parent: Obj = copy;
    for (const key of keys) {
      if (parent[key] === undefined) throw new Error(`json patch path ${op.path} not found`);
      parent = parent[key];
    }
    if (op.op === 'remove') {
      if (!(last in parent)) throw new Error(`json patch path ${op.path} not found`);
      delete parent[last];
    } else if (op.op === 'replace' || op.op === 'add') {
      if (op.op === 'replace' && !(last in parent)) throw new Error(`json patch path ${op.path} not found`);
      parent[last] = op.value;
    } else throw new Error(`json patch op ${op.op} not supported here`);
  }
  return copy;
}

function targetMatches(target: Obj, obj: Obj): boolean {
  if (target.kind && obj.kind !== target.kind) return false;
  if (target.name && obj.metadata?.name !== target.name) return false;
  if (target.labelSelector) {
    return String(target.labelSelector)
      .split(',')
      .every((pair) => {
        const [key, value] = pair.split('=').map((s) => s.trim());
        return obj.metadata?.labels?.[key] === value;
      });
  }
  return true;
}

/** What `kubectl kustomize <dir>` renders, for the features this repository uses; anything else is refused. */
function render(dir: string): Obj[] {
  const [k] = yamlDocs(path.join(dir, 'kustomization.yaml'));
  for (const key of Object.keys(k)) if (!KNOWN_FIELDS.includes(key)) throw new Error(`${dir}: ${key} is not rendered by this test`);
  let objects: Obj[] = [];
  for (const entry of (k.resources ?? []) as string[]) {
    const target = path.resolve(dir, entry);
    objects.push(...(fs.statSync(target).isDirectory() ? render(target) : yamlDocs(target)));
  }
  // A component adds its resources, then patches everything accumulated so far.
  for (const entry of (k.components ?? []) as string[]) objects = applyKustomization(path.resolve(dir, entry), objects);
  objects = applyKustomization(dir, objects, false);
  return objects;
}

function applyKustomization(dir: string, accumulated: Obj[], withResources = true): Obj[] {
  const [k] = yamlDocs(path.join(dir, 'kustomization.yaml'));
  let objects = accumulated;
  if (withResources) {
    for (const key of Object.keys(k)) if (!KNOWN_FIELDS.includes(key)) throw new Error(`${dir}: ${key} is not rendered by this test`);
    expect(k.kind).toBe('Component');
    for (const entry of (k.resources ?? []) as string[]) objects = [...objects, ...yamlDocs(path.resolve(dir, entry))];
  }
  for (const patch of (k.patches ?? []) as Obj[]) {
    if (patch.path) {
      for (const doc of yamlDocs(path.resolve(dir, patch.path))) {
        const hits = objects.filter((o) => sameObject(o, doc));
        if (hits.length !== 1) throw new Error(`${dir}/${patch.path}: ${doc.kind}/${doc.metadata?.name} matches ${hits.length} objects`);
        const { $patch, ...rest } = doc;
        objects =
          $patch === 'delete' ? objects.filter((o) => o !== hits[0]) : objects.map((o) => (o === hits[0] ? mergePatch(o, rest) : o));
      }
    } else {
      const hits = objects.filter((o) => targetMatches(patch.target ?? {}, o));
      if (hits.length === 0) throw new Error(`${dir}: an inline patch matches nothing`);
      const body = parse(patch.patch);
      objects = objects.map((o) => (hits.includes(o) ? (Array.isArray(body) ? jsonPatch(o, body) : mergePatch(o, body)) : o));
    }
  }
  for (const r of (k.replicas ?? []) as Obj[]) {
    objects = objects.map((o) =>
      o.kind === 'Deployment' && o.metadata.name === r.name ? mergePatch(o, { spec: { replicas: r.count } }) : o,
    );
  }
  if (k.namespace) {
    objects = objects.map((o) => (CLUSTER_SCOPED.includes(o.kind) ? o : mergePatch(o, { metadata: { namespace: k.namespace } })));
  }
  return objects;
}

// ---- schemas ------------------------------------------------------------------------------------------------------

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: Obj) => Validatable;

const MODELS: Record<string, ModelClass> = {
  'apps/v1/Deployment': Deployment as unknown as ModelClass,
  'v1/Service': Service as unknown as ModelClass,
  'v1/ConfigMap': ConfigMap as unknown as ModelClass,
  'v1/Secret': Secret as unknown as ModelClass,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim as unknown as ModelClass,
  'v1/Namespace': Namespace as unknown as ModelClass,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget as unknown as ModelClass,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler as unknown as ModelClass,
  'networking.k8s.io/v1/Ingress': Ingress as unknown as ModelClass,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject as unknown as ModelClass,
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor as unknown as ModelClass,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule as unknown as ModelClass,
};

/** Schema errors of one object ('' when valid). */
function schemaErrors(obj: Obj): string {
  const model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!model) return `no schema for ${obj.apiVersion} ${obj.kind}`;
  try {
    new model(structuredClone(obj)).validate();
    return '';
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

// ---- metric names declared in the code ----------------------------------------------------------------------------

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') && !/\.(spec|int-spec|e2e-spec)\.ts$/.test(e.name) ? [full] : [];
  });
}

/** Metric name → kind (counter, gauge, histogram), read from the counter()/gauge()/histogram() calls of apps and libs. */
function declaredMetrics(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of [...sourceFiles(path.join(ROOT, 'apps')), ...sourceFiles(path.join(ROOT, 'libs'))]) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\b(counter|perRemoteCounter|gauge|histogram)\(\{\s*name:\s*[`']([^`']+)[`']/g)) {
      found.set(m[2].replace('${METRICS_PREFIX}', 'fedchat_'), m[1] === 'perRemoteCounter' ? 'counter' : m[1]);
    }
  }
  return found;
}

/** Metric names in a PromQL expression, histogram series suffixes taken off. */
function metricsIn(expr: string): string[] {
  const names = [...expr.matchAll(/\b((?:mattermost|fedchat)_[a-z0-9_]+)/g)].map((m) => m[1]);
  return [...new Set(names.map((n) => n.replace(/_(bucket|count|sum)$/, '')))];
}

// ---------------------------------------------------------------------------------------------------------------------

const rendered = new Map(RENDERED.map((dir) => [dir, render(path.join(KUSTOMIZE, dir))]));
const declared = declaredMetrics();

describe('rendered manifests against the Kubernetes, KEDA and Prometheus Operator schemas', () => {
  it.each(RENDERED)('%s: every object is valid for its kind', (dir) => {
    const objects = rendered.get(dir)!;
    expect(objects.length).toBeGreaterThan(0);
    for (const obj of objects)
      expect({ object: `${obj.kind}/${obj.metadata?.name}`, errors: schemaErrors(obj) }).toMatchObject({ errors: '' });
  });

  it('the validators refuse what the cluster would (they are not no-ops)', () => {
    const keda = rendered.get('overlays/production-keda')!.find((o) => o.kind === 'ScaledObject')!;
    expect(schemaErrors(mergePatch(keda, { spec: { minReplicaCount: '2' } }))).toMatch(/minReplicaCount must be integer/);
    expect(schemaErrors(mergePatch(keda, { spec: { triggers: [{ type: 'prometheus', metadata: { threshold: 32 } }] } }))).toMatch(
      /threshold must be string/,
    );
    const rule = rendered.get('overlays/production-keda')!.find((o) => o.kind === 'PrometheusRule')!;
    expect(
      schemaErrors(mergePatch(rule, { spec: { groups: [{ name: 'g', rules: [{ alert: 'A', expr: 'up', for: '5 minutes' }] }] } })),
    ).toMatch(/for must match pattern/);
    const deployment = rendered.get('base')!.find((o) => o.kind === 'Deployment')!;
    expect(schemaErrors(mergePatch(deployment, { spec: { replicas: 'two' } }))).toMatch(/replicas must be integer/);
  });

  it('the renderer applies what the overlays ask for', () => {
    const prod = rendered.get('overlays/production')!;
    const hpa = prod.find((o) => o.kind === 'HorizontalPodAutoscaler')!;
    expect(hpa.spec).toMatchObject({ minReplicas: 3, maxReplicas: 12 });
    expect(hpa.metadata.namespace).toBe('fedchat');
    expect(prod.some((o) => o.kind === 'Secret')).toBe(false);
    const dev = rendered.get('overlays/dev')!;
    expect(
      dev.find((o) => o.metadata.name === 'gateway' && o.kind === 'Deployment')!.spec.template.spec.containers[0].resources.requests.cpu,
    ).toBe('50m');
  });
});

describe('KEDA component (overlays/production-keda)', () => {
  const objects = rendered.get('overlays/production-keda')!;
  const scaled = objects.filter((o) => o.kind === 'ScaledObject');
  const deployments = objects.filter((o) => o.kind === 'Deployment');

  it('scales exactly shared-channel-sync, file-transfer and user-sync', () => {
    expect(scaled.map((s) => s.spec.scaleTargetRef.name).sort()).toEqual(Object.keys(QUEUE_GAUGES).sort());
    for (const s of scaled) {
      expect(s.spec.scaleTargetRef).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment' });
      expect(deployments.map((d) => d.metadata.name)).toContain(s.spec.scaleTargetRef.name);
      expect(s.metadata.namespace).toBe('fedchat');
    }
  });

  it('leaves no other autoscaler on a Deployment that KEDA scales (KEDA makes its own HPA)', () => {
    const targets = new Set(scaled.map((s) => s.spec.scaleTargetRef.name));
    const hpas = objects.filter((o) => o.kind === 'HorizontalPodAutoscaler');
    expect(hpas.filter((h) => targets.has(h.spec.scaleTargetRef.name)).map((h) => h.metadata.name)).toEqual([]);
    // Without the component the CPU autoscaler is there: the component is what removes it.
    expect(rendered.get('overlays/production')!.some((o) => o.kind === 'HorizontalPodAutoscaler')).toBe(true);
  });

  it.each(Object.entries(QUEUE_GAUGES))('%s: scales on max(%s) of its namespace, with bounds and cooldown', (app, gauge) => {
    const s = scaled.find((o) => o.spec.scaleTargetRef.name === app)!;
    expect(declared.get(gauge)).toBe('gauge');
    const prometheus = (s.spec.triggers as Obj[]).filter((t) => t.type === 'prometheus');
    expect(prometheus).toHaveLength(1);
    const trigger = prometheus[0];
    // Every replica reports the same table: max(), never sum().
    expect(trigger.metadata.query).toBe(`max(${gauge}{namespace="fedchat"})`);
    expect(trigger.metricType).toBe('AverageValue');
    expect(Number(trigger.metadata.threshold)).toBeGreaterThan(0);
    expect(trigger.metadata.serverAddress).toMatch(/^https?:\/\//);
    expect(s.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
    expect(s.spec.maxReplicaCount).toBeGreaterThan(s.spec.minReplicaCount);
    expect(s.spec.cooldownPeriod).toBeGreaterThan(0);
    expect(s.spec.pollingInterval).toBeGreaterThan(0);
    expect(s.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds).toBeGreaterThanOrEqual(300);
  });

  it('keeps CPU as a second trigger, on Deployments that request CPU', () => {
    for (const s of scaled) {
      const cpu = (s.spec.triggers as Obj[]).find((t) => t.type === 'cpu');
      expect(cpu).toMatchObject({ metricType: 'Utilization', metadata: { value: '70' } });
      const deployment = deployments.find((d) => d.metadata.name === s.spec.scaleTargetRef.name)!;
      expect(deployment.spec.template.spec.containers[0].resources.requests.cpu).toBeDefined();
    }
  });

  it('is not part of the plain overlays', () => {
    for (const dir of ['base', 'overlays/dev', 'overlays/production']) {
      expect(rendered.get(dir)!.filter((o) => o.kind === 'ScaledObject' || o.apiVersion.startsWith('monitoring.coreos.com'))).toEqual([]);
    }
  });
});

describe('monitoring component: PodMonitor and PrometheusRule', () => {
  const objects = rendered.get('overlays/production-keda')!;
  const rulesFile = parse(fs.readFileSync(RULES_FILE, 'utf8')) as Obj;
  const alerts = (rulesFile.groups as Obj[]).flatMap((g) => g.rules as Obj[]);

  it('the PrometheusRule carries exactly the groups of deploy/prometheus/fedchat-alerts.rules.yml', () => {
    const rule = objects.find((o) => o.kind === 'PrometheusRule')!;
    expect(rule.metadata.namespace).toBe('fedchat');
    // On a difference: change the rules file, then copy its `groups` under `spec:` of prometheus-rule.yaml.
    expect(rule.spec.groups).toEqual(rulesFile.groups);
  });

  it('the PodMonitor scrapes every app on its http port and adds the app label the dashboard uses', () => {
    const monitor = objects.find((o) => o.kind === 'PodMonitor')!;
    const deployments = objects.filter((o) => o.kind === 'Deployment');
    const scraped = deployments.filter((d) =>
      Object.entries(monitor.spec.selector.matchLabels as Obj).every(([k, v]) => d.spec.template.metadata.labels[k] === v),
    );
    expect(scraped.map((d) => d.metadata.name).sort()).toEqual([...APPS].sort());
    const endpoint = monitor.spec.podMetricsEndpoints[0];
    expect(endpoint.path).toBe('/metrics');
    for (const d of scraped) expect(d.spec.template.spec.containers[0].ports.map((p: Obj) => p.name)).toContain(endpoint.port);
    expect(endpoint.relabelings).toContainEqual({
      sourceLabels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name'],
      targetLabel: 'app',
    });
  });

  it('has the alerts the operators asked for', () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual(
      [
        'FedchatBusErrors',
        'FedchatFileTransferQueueGrowing',
        'FedchatFileTransfersFailing',
        'FedchatRemoteMessageErrors',
        'FedchatRemoteOffline',
        'FedchatSyncLagAboveTarget',
        'FedchatSyncQueueGrowing',
        'FedchatUserSyncBacklogGrowing',
      ].sort(),
    );
  });

  it.each(alerts.map((a) => [a.alert, a] as const))('%s: uses metrics the code declares, has a duration, severity and text', (_name, a) => {
    for (const metric of metricsIn(a.expr)) expect({ metric, declared: declared.has(metric) }).toEqual({ metric, declared: true });
    expect(a.for).toMatch(/^\d+m$/);
    expect(['warning', 'critical']).toContain(a.labels.severity);
    expect(a.annotations.summary).toBeTruthy();
    expect(a.annotations.description).toBeTruthy();
    // Queue gauges and the online gauge come from the shared database: never summed over replicas.
    for (const gauge of metricsIn(a.expr).filter((m) => declared.get(m) === 'gauge'))
      expect(a.expr).not.toMatch(new RegExp(`sum[^(]*\\(\\s*${gauge}`));
  });

  it('the bus alert leaves out app_error refusals', () => {
    const bus = alerts.find((a) => a.alert === 'FedchatBusErrors')!;
    expect(bus.expr).toMatch(/outcome!~"ok\|app_error"/);
  });

  it('every alert has promtool cases where it fires and where it does not', () => {
    const tests = (parse(fs.readFileSync(RULES_TEST_FILE, 'utf8')) as Obj).tests as Obj[];
    const cases = tests.flatMap((t) => (t.alert_rule_test ?? []) as Obj[]);
    for (const a of alerts) {
      const mine = cases.filter((c) => c.alertname === a.alert);
      expect({ alert: a.alert, fires: mine.some((c) => (c.exp_alerts ?? []).length > 0) }).toEqual({ alert: a.alert, fires: true });
      expect({ alert: a.alert, quiet: mine.some((c) => (c.exp_alerts ?? []).length === 0) }).toEqual({ alert: a.alert, quiet: true });
    }
  });
});

describe('promtool', () => {
  const promtool = spawnSync('promtool', ['--version']).status === 0;
  // CI installs promtool (.ci/run) and must run these; elsewhere they are skipped, saying why, rather than failing.
  const run = promtool || process.env.CI ? it : it.skip;
  const why = promtool ? '' : process.env.CI ? '' : ' (SKIPPED: promtool not found; apt-get install prometheus)';
  const missing = 'promtool is missing; .ci/run installs it (Debian package prometheus)';

  run(`promtool check rules passes${why}`, () => {
    if (!promtool) throw new Error(missing);
    expect(execFileSync('promtool', ['check', 'rules', RULES_FILE], { encoding: 'utf8' })).toMatch(/SUCCESS: 8 rules found/);
  });

  run(`promtool test rules passes${why}`, () => {
    if (!promtool) throw new Error(missing);
    const result = spawnSync('promtool', ['test', 'rules', path.basename(RULES_TEST_FILE)], {
      cwd: path.dirname(RULES_TEST_FILE),
      encoding: 'utf8',
    });
    expect({ status: result.status, output: result.stdout + result.stderr }).toMatchObject({ status: 0 });
  });
});
