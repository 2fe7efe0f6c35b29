/**
 * deploy/kubernetes/: every manifest parsed (multi-document YAML) and checked against the others —
 * selectors and labels, ports, probes, the ConfigMap and Secret keys referenced, the shared firmware
 * volume — and the config in the ConfigMap parsed by the proxy's own parser with the Secret's values.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../../src/config/parse.js';
import { parseCatalog } from '../../src/firmware/catalog-parse.js';
import { readDockerfile, instructionsOf } from './dockerfile.js';
import { repoRoot } from './recipe-install.js';

const folder = join(repoRoot, 'deploy/kubernetes');

// The slices of the Kubernetes API these manifests use (apps/v1 Deployment, core/v1, policy/v1).
interface Meta {
  name: string;
  labels?: Record<string, string>;
}
interface Probe {
  httpGet: { path: string; port: string };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: { name: string; containerPort: number; protocol: string }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { exec: { command: string[] } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface Volume {
  name: string;
  configMap?: { name: string };
  persistentVolumeClaim?: { claimName: string };
  emptyDir?: object;
}
interface Deployment {
  kind: 'Deployment';
  metadata: Meta;
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    strategy: { rollingUpdate: { maxUnavailable: number } };
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        terminationGracePeriodSeconds: number;
        securityContext: Record<string, unknown>;
        initContainers: Container[];
        containers: Container[];
        volumes: Volume[];
      };
    };
  };
}
interface Service {
  kind: 'Service';
  metadata: Meta;
  spec: { selector: Record<string, string>; ports: { name: string; port: number; targetPort: string }[] };
}
type Manifest =
  | Deployment
  | Service
  | { kind: 'ConfigMap'; metadata: Meta; data: Record<string, string> }
  | { kind: 'Secret'; metadata: Meta; stringData: Record<string, string> }
  | { kind: 'PersistentVolumeClaim'; metadata: Meta; spec: { accessModes: string[] } }
  | {
      kind: 'PodDisruptionBudget';
      metadata: Meta;
      spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } };
    }
  | { kind: 'Kustomization'; metadata?: Meta; resources: string[]; images: { name: string }[] };

const files = readdirSync(folder).filter((f) => f.endsWith('.yaml'));
const manifests: { file: string; doc: Manifest }[] = files.flatMap((file) =>
  parseAllDocuments(readFileSync(join(folder, file), 'utf8')).map((doc) => {
    assert.deepEqual(doc.errors, [], file);
    return { file, doc: doc.toJS() as Manifest };
  }),
);

function only<K extends Manifest['kind']>(kind: K, name?: string): Extract<Manifest, { kind: K }> {
  const found = manifests
    .map((m) => m.doc)
    .filter(
      (d): d is Extract<Manifest, { kind: K }> =>
        d.kind === kind && (name === undefined || d.metadata?.name === name),
    );
  assert.equal(found.length, 1, `one ${kind} ${name ?? ''}`);
  return found[0] as Extract<Manifest, { kind: K }>;
}

const deployment = only('Deployment', 'xiaozhi-ota-proxy');
const pod = deployment.spec.template.spec;
const [proxy] = pod.containers;
if (proxy === undefined) throw new Error('no container');
const podLabels = deployment.spec.template.metadata.labels;
const containsLabels = (labels: Record<string, string>, selector: Record<string, string>): boolean =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

const configPath = proxy.args?.[proxy.args.indexOf('--config') + 1] ?? '';
const configVolume = pod.volumes.find(
  (v) => v.name === proxy.volumeMounts?.find((m) => m.mountPath === posix.dirname(configPath))?.name,
);
const configMap = only('ConfigMap', configVolume?.configMap?.name);
const configText = configMap.data[posix.basename(configPath)] ?? '';
const secret = only('Secret', 'xiaozhi-ota-proxy');

/** The container's environment, with each secretKeyRef read from the example Secret. */
function containerEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const variable of proxy?.env ?? []) {
    const ref = variable.valueFrom?.secretKeyRef;
    if (ref !== undefined) {
      const source = only('Secret', ref.name);
      assert.ok(ref.key in source.stringData, `the Secret ${ref.name} has ${ref.key}`);
      env[variable.name] = source.stringData[ref.key] ?? '';
    } else {
      env[variable.name] = variable.value ?? '';
    }
  }
  return env;
}
const config = parseConfig(configText, { file: configPath, env: containerEnv(), localAddresses: [] });

const portNamed = (name: string): number | undefined =>
  proxy.ports?.find((p) => p.name === name)?.containerPort;

test('every manifest is applied by kustomization.yaml, except the Secret example', () => {
  const kustomization = only('Kustomization');
  assert.deepEqual(
    [...kustomization.resources].sort(),
    files.filter((f) => f !== 'kustomization.yaml' && f !== 'secret.example.yaml').sort(),
  );
  assert.deepEqual(
    manifests.filter((m) => m.doc.kind === 'Secret').map((m) => m.file),
    ['secret.example.yaml'],
  );
  // Both containers use the image kustomization.yaml sets.
  const [image] = kustomization.images;
  for (const container of [...pod.initContainers, ...pod.containers]) {
    assert.equal(container.image.split(':')[0], image?.name);
  }
});

test('several replicas, never fewer during a rollout, selected by the labels of their pods', () => {
  assert.ok(deployment.spec.replicas >= 2);
  assert.equal(deployment.spec.strategy.rollingUpdate.maxUnavailable, 0);
  assert.ok(containsLabels(podLabels, deployment.spec.selector.matchLabels));
  const pdb = only('PodDisruptionBudget');
  assert.ok(containsLabels(podLabels, pdb.spec.selector.matchLabels));
  assert.ok(pdb.spec.minAvailable >= 1 && pdb.spec.minAvailable < deployment.spec.replicas);
});

test('the Services select the pods and reach the ports the config listens on', () => {
  const devices = only('Service', 'xiaozhi-ota-proxy');
  const admin = only('Service', 'xiaozhi-ota-proxy-admin');
  for (const service of [devices, admin]) {
    assert.ok(containsLabels(podLabels, service.spec.selector), service.metadata.name);
    for (const port of service.spec.ports) {
      assert.notEqual(
        portNamed(port.targetPort),
        undefined,
        `${service.metadata.name}: a container port ${port.targetPort}`,
      );
    }
  }
  assert.equal(portNamed(devices.spec.ports[0]?.targetPort ?? ''), config.listen.port);
  assert.equal(portNamed(admin.spec.ports[0]?.targetPort ?? ''), config.admin.listen?.port);
  assert.equal(config.listen.host, '0.0.0.0');
  assert.equal(config.admin.listen?.host, '0.0.0.0');
  // The image declares the devices' port.
  const runtime = readDockerfile().stages.at(-1);
  assert.ok(
    runtime !== undefined &&
      instructionsOf(runtime, 'EXPOSE').join(' ').split(/\s+/).includes(String(config.listen.port)),
  );
});

test('readiness asks /readyz and liveness /healthz, on the main port', () => {
  assert.deepEqual(proxy.readinessProbe?.httpGet, { path: '/readyz', port: 'http' });
  assert.deepEqual(proxy.livenessProbe?.httpGet, { path: '/healthz', port: 'http' });
  assert.deepEqual(proxy.startupProbe?.httpGet, { path: '/healthz', port: 'http' });
  assert.equal(portNamed('http'), config.listen.port);
});

test('the config parses with the Secret through the environment: fleet on PostgreSQL, admin token set', () => {
  assert.equal(config.fleet.enabled, true);
  assert.deepEqual(config.fleet.store, { kind: 'postgres', url: secret.stringData['database-url'] });
  assert.equal(config.admin.token, secret.stringData['admin-token']);
  // Every ${VAR} of the config comes from the container's environment.
  const used = [...configText.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]).sort();
  assert.deepEqual(used, Object.keys(containerEnv()).sort());
  // Without the Secret's database URL the config is refused, not run on a memory store.
  const { FLEET_DATABASE_URL: _url, ...rest } = containerEnv();
  assert.throws(() => parseConfig(configText, { file: configPath, env: rest, localAddresses: [] }));
});

test('firmware.dir is the shared ReadWriteMany volume, writable, seeded with a catalog before the proxy starts', () => {
  const firmwareMount = proxy.volumeMounts?.find((m) => m.mountPath === config.firmware.dir);
  assert.ok(firmwareMount, 'a volume at firmware.dir');
  assert.notEqual(firmwareMount.readOnly, true);
  const volume = pod.volumes.find((v) => v.name === firmwareMount.name);
  const claim = only('PersistentVolumeClaim', volume?.persistentVolumeClaim?.claimName);
  assert.deepEqual(claim.spec.accessModes, ['ReadWriteMany']);
  const [seed] = pod.initContainers;
  const seedMount = seed?.volumeMounts?.find((m) => m.name === firmwareMount.name);
  assert.ok(seedMount);
  assert.deepEqual(seed?.command, [
    'sh',
    '-c',
    `test -e ${seedMount.mountPath}/catalog.yaml || cp /app/firmware/catalog.yaml ${seedMount.mountPath}/catalog.yaml`,
  ]);
  // The image carries the repository's catalog at /app/firmware: a catalog the proxy loads.
  const runtime = readDockerfile().stages.at(-1);
  assert.ok(runtime !== undefined && instructionsOf(runtime, 'COPY').includes('firmware ./firmware'));
  const shipped = parseCatalog(readFileSync(join(repoRoot, 'firmware/catalog.yaml'), 'utf8'), {
    file: 'firmware/catalog.yaml',
    env: {},
  });
  assert.deepEqual({ kind: shipped.kind, issues: shipped.issues }, { kind: 'parsed', issues: [] });
  // The config mount is read-only; the root file system too, with /tmp writable.
  assert.equal(proxy.volumeMounts?.find((m) => m.mountPath === posix.dirname(configPath))?.readOnly, true);
  assert.ok(
    pod.volumes.find((v) => v.name === proxy.volumeMounts?.find((m) => m.mountPath === '/tmp')?.name)
      ?.emptyDir,
  );
});

test('stops after the Service stopped routing to it, within its grace period', () => {
  const command = proxy.lifecycle?.preStop?.exec.command ?? [];
  assert.equal(command[0], 'sleep');
  const sleepMs = Number(command[1]) * 1000;
  assert.ok(sleepMs >= 1000);
  assert.ok(pod.terminationGracePeriodSeconds * 1000 > sleepMs + config.shutdownGraceMs);
});

test('runs as the image user without privileges, with resource requests', () => {
  assert.deepEqual(
    [pod.securityContext.runAsNonRoot, pod.securityContext.runAsUser, pod.securityContext.runAsGroup],
    [true, 1000, 1000],
  );
  for (const container of [...pod.initContainers, ...pod.containers]) {
    assert.deepEqual(container.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    assert.ok(container.resources?.requests?.cpu && container.resources.requests.memory, container.name);
    assert.ok(container.resources?.limits?.memory, container.name);
  }
});

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

test('kubectl kustomize builds the folder', { skip: !kubectl }, () => {
  const run = spawnSync('kubectl', ['kustomize', folder], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const kinds = parseAllDocuments(run.stdout).map((d) => (d.toJS() as { kind: string }).kind);
  assert.deepEqual(kinds.sort(), [
    'ConfigMap',
    'Deployment',
    'PersistentVolumeClaim',
    'PodDisruptionBudget',
    'Service',
    'Service',
  ]);
});
