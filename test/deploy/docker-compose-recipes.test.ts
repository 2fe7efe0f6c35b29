/**
 * Each Docker recipe merged onto the official compose file it sits beside, as `docker compose -f official
 * -f ours …` would (test/deploy/compose-model.ts implements the merge rules), in a server folder laid out
 * by deploy/docker/install.sh. The official files come from test/fixtures/official-compose/, or from
 * OFFICIAL_COMPOSE_DIR (the upstream repository's main/xiaozhi-server/).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { parseConfig } from '../../src/config/parse.js';
import type { Config } from '../../src/config/types.js';
import { dependsOnOf, mountsOf, networksOf, parseDuration, portsOf, servicesOf } from './compose-model.js';
import type { Env, JsonMapping, Mount } from './compose-model.js';
import { execForm, instructionsOf, readDockerfile } from './dockerfile.js';
import { deletedLines, INIT, LAYOUTS, officialText, PROXY, serverFolder } from './recipe-install.js';
import type { ServerFolder } from './recipe-install.js';

const dockerfile = readDockerfile();
const runtime = dockerfile.stages.at(-1);
if (runtime === undefined) throw new Error('the Dockerfile has no stage');
/** Where the image reads its config: the last `--config` of its CMD. */
const imageCmd = execForm(instructionsOf(runtime, 'CMD')[0] ?? '[]');
const imageConfig = imageCmd[imageCmd.indexOf('--config') + 1] ?? '';

/** The proxy's environment in the merged model, as the container gets it. */
function containerEnv(service: JsonMapping): Env {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries((service.environment ?? {}) as Record<string, string | null>)) {
    if (v !== null) env[k] = v;
  }
  return env;
}

function mountAt(service: JsonMapping, target: string): Mount {
  const mount = mountsOf(service).find((m) => m.target === target);
  assert.ok(mount, `a mount at ${target}`);
  return mount;
}

/** The mount a container path lives on (the longest target that holds it). */
function mountHolding(service: JsonMapping, path: string): Mount | undefined {
  return mountsOf(service)
    .filter((m) => path === m.target || path.startsWith(`${m.target}/`))
    .sort((a, b) => b.target.length - a.target.length)[0];
}

for (const layout of LAYOUTS) {
  describe(`the ${layout.layout} recipe beside ${layout.official}`, () => {
    let folder: ServerFolder;
    let official: JsonMapping;
    let merged: JsonMapping;
    let proxy: JsonMapping;
    let config: Config;

    const readConfig = (env: Env): Config => {
      const configMount = mountAt(servicesOf(merged)[PROXY] ?? {}, posix.dirname(imageConfig));
      const text = folder.read(join(configMount.source, posix.basename(imageConfig)));
      return parseConfig(text, { file: imageConfig, env, localAddresses: [] });
    };

    before(() => {
      folder = serverFolder(layout);
      const run = folder.install();
      assert.equal(run.status, 0, run.stderr);
      official = folder.model([layout.official]);
      merged = folder.model([layout.official, ...layout.overrides]);
      proxy = servicesOf(merged)[PROXY] ?? {};
      config = readConfig(containerEnv(proxy));
    });
    after(() => folder.remove());

    test('adds the proxy and its init service, and changes nothing of the official services but the OTA port', () => {
      const before = servicesOf(official);
      const now = servicesOf(merged);
      assert.deepEqual(Object.keys(now).sort(), [...Object.keys(before), PROXY, INIT].sort());
      for (const [name, service] of Object.entries(before)) {
        let expected = service;
        if (name === layout.otaService) {
          // Without the device port; an attribute with no entries left is no attribute (`!reset`).
          const { ports: _ports, ...rest } = service;
          const kept = portsOf(service).filter((p) => p.published !== layout.devicePort);
          expected = kept.length === 0 ? rest : { ...rest, ports: kept as unknown as JsonMapping[] };
        }
        // security_opt, environment (TZ), volumes (models), images … exactly as the official file has them.
        assert.deepEqual(now[name], expected, name);
      }
      // The official file did publish the port the proxy takes over (else upstream changed its layout).
      const otaPorts = portsOf(before[layout.otaService] ?? {}).filter(
        (p) => p.published === layout.devicePort,
      );
      assert.equal(otaPorts.length, 1);
      assert.deepEqual(merged.networks, official.networks);
      assert.deepEqual(merged.volumes, { 'ota-proxy-data': null });
    });

    test('devices reach the proxy on the port they already use, and nothing else publishes it', () => {
      assert.deepEqual(portsOf(proxy), [
        { target: config.listen.port, published: layout.devicePort, host_ip: '', protocol: 'tcp' },
      ]);
      const published = Object.values(servicesOf(merged)).flatMap((s) => portsOf(s).map((p) => p.published));
      assert.deepEqual(
        published.filter((p) => p === layout.devicePort),
        [layout.devicePort],
      );
      assert.equal(new Set(published).size, published.length, `a host port published twice: ${published}`);
      // The image declares the port the recipe publishes.
      const exposed = instructionsOf(runtime, 'EXPOSE').flatMap((e) => e.split(/\s+/));
      assert.ok(exposed.includes(String(config.listen.port)), `EXPOSE ${config.listen.port} in ${exposed}`);
      assert.equal(config.listen.host, '0.0.0.0');
    });

    test('asks the server by its service name and container port, over a network both join', () => {
      const services = servicesOf(merged);
      const otaPort = portsOf(servicesOf(official)[layout.otaService] ?? {}).find(
        (p) => p.published === layout.devicePort,
      );
      assert.deepEqual(
        {
          scheme: config.upstream.target.scheme,
          host: config.upstream.target.host,
          port: config.upstream.target.port,
        },
        { scheme: 'http', host: layout.otaService, port: otaPort?.target },
      );
      const declared = Object.keys((merged.networks ?? { default: null }) as JsonMapping);
      for (const [name, service] of Object.entries(services)) {
        for (const network of networksOf(service))
          assert.ok(declared.includes(network), `${name}: ${network}`);
      }
      const upstreamNetworks = networksOf(services[layout.otaService] ?? {});
      assert.ok(
        networksOf(proxy).some((n) => upstreamNetworks.includes(n)),
        'a shared network',
      );
      for (const [name, service] of Object.entries(services)) {
        for (const dependency of Object.keys(dependsOnOf(service))) {
          assert.ok(dependency in services, `${name} depends on ${dependency}, which exists`);
        }
      }
      assert.deepEqual(dependsOnOf(proxy), {
        [layout.otaService]: { condition: 'service_started', required: true },
        [INIT]: { condition: 'service_completed_successfully', required: true },
      });
      // Devices are sent to the voice port the server still publishes, on the host they reached the proxy at.
      assert.equal(config.websocket?.[0]?.url.source, 'ws://{host}:8000/xiaozhi/v1/');
      assert.ok(portsOf(services['xiaozhi-esp32-server'] ?? {}).some((p) => p.published === '8000'));
    });

    test('keeps config read-only, firmware and state writable, on volumes that outlive the container', () => {
      const declaredVolumes = Object.keys((merged.volumes ?? {}) as JsonMapping);
      for (const name of [PROXY, INIT]) {
        for (const mount of mountsOf(servicesOf(merged)[name] ?? {})) {
          if (mount.type === 'bind') {
            assert.ok(
              existsSync(join(folder.dir, mount.source)),
              `${name}: ${mount.source} in the server folder`,
            );
            assert.ok(statSync(join(folder.dir, mount.source)).isDirectory(), `${mount.source} is a folder`);
          } else {
            assert.equal(mount.type, 'volume');
            assert.ok(declaredVolumes.includes(mount.source), `${name}: the named volume ${mount.source}`);
          }
        }
      }
      const configMount = mountAt(proxy, posix.dirname(imageConfig));
      assert.deepEqual([configMount.type, configMount.read_only], ['bind', true]);

      assert.equal(config.firmware.dir, '/app/firmware');
      const firmware = mountHolding(proxy, config.firmware.dir ?? '');
      assert.deepEqual(
        [firmware?.type, firmware?.target, firmware?.read_only],
        ['bind', '/app/firmware', false],
      );
      assert.ok(
        existsSync(join(folder.dir, firmware?.source ?? '', 'catalog.yaml')),
        'a catalog to start from',
      );

      assert.equal(config.fleet.enabled, true);
      assert.deepEqual(config.fleet.store, { kind: 'sqlite', path: '/app/data/fleet.db' });
      const state = mountHolding(proxy, '/app/data/fleet.db');
      assert.deepEqual([state?.type, state?.source, state?.read_only], ['volume', 'ota-proxy-data', false]);

      const tls = mountAt(proxy, '/app/tls');
      assert.deepEqual([tls.type, tls.read_only], ['bind', true]);
      // The root file system is read-only: everything the proxy writes is on a mount (or /tmp).
      assert.equal(proxy.read_only, true);
      assert.deepEqual(proxy.tmpfs, ['/tmp']);
    });

    test('hands the writable mounts and the TLS key to the image user before the proxy starts', () => {
      const init = servicesOf(merged)[INIT] ?? {};
      assert.equal(init.user, '0:0');
      assert.equal(init.network_mode, 'none');
      assert.equal(init.restart, 'no');
      const [shell, flag, script = ''] = (init.entrypoint ?? []) as string[];
      assert.deepEqual([shell, flag], ['sh', '-c']);
      for (const target of ['/app/firmware', '/app/data', '/app/tls']) {
        const ours = mountAt(proxy, target);
        const theirs = mountAt(init, target);
        // The same folder or volume, writable for the init service.
        assert.deepEqual([theirs.type, theirs.source, theirs.read_only], [ours.type, ours.source, false]);
        assert.ok(script.includes(target), `the init service fixes ${target}`);
      }
      assert.match(
        script,
        /^\{ test -e \/app\/firmware\/catalog\.yaml \|\| echo '\[\]' >\/app\/firmware\/catalog\.yaml; \}/,
      );
      assert.match(script, /chown -R node:node \/app\/firmware \/app\/data/);
      assert.match(script, /chown -R root:node \/app\/tls && chmod -R u=rwX,g=rX,o= \/app\/tls/);
      // Built from the same context with the same arguments as the proxy.
      assert.deepEqual(init.build, proxy.build);
    });

    test("the init service's script runs: an empty catalog where there is none, a key only its group reads", () => {
      const [, , script = ''] = (servicesOf(merged)[INIT]?.entrypoint ?? []) as string[];
      // Run on a copy of the folders, as this user instead of root/node (this machine has no `node` user).
      const app = mkdtempSync(join(tmpdir(), 'ota-proxy-init-'));
      try {
        for (const dir of ['firmware', 'data', 'tls']) mkdirSync(join(app, dir));
        writeFileSync(join(app, 'tls/key.pem'), 'key', { mode: 0o644 });
        const me = `${process.getuid?.()}:${process.getgid?.()}`;
        const local = script
          .replaceAll('/app/', `${app}/`)
          .replaceAll('node:node', me)
          .replaceAll('root:node', me);
        const run = spawnSync('sh', ['-c', local], { encoding: 'utf8' });
        assert.deepEqual([run.status, run.stderr], [0, '']);
        assert.equal(readFileSync(join(app, 'firmware/catalog.yaml'), 'utf8'), '[]\n');
        assert.equal(statSync(join(app, 'tls/key.pem')).mode & 0o777, 0o640);
        assert.equal(statSync(join(app, 'tls')).mode & 0o777, 0o750);
        // A catalog already there is left alone.
        writeFileSync(join(app, 'firmware/catalog.yaml'), '- board: x\n');
        assert.equal(spawnSync('sh', ['-c', local]).status, 0);
        assert.equal(readFileSync(join(app, 'firmware/catalog.yaml'), 'utf8'), '- board: x\n');
      } finally {
        rmSync(app, { recursive: true, force: true });
      }
    });

    test('the proxy runs unprivileged and stops later than its own shutdown grace', () => {
      assert.ok(parseDuration(String(proxy.stop_grace_period)) > config.shutdownGraceMs);
      assert.equal(proxy.user, undefined, 'the image user (node)');
      assert.deepEqual(proxy.cap_drop, ['ALL']);
      assert.deepEqual(proxy.security_opt, ['no-new-privileges:true']);
      assert.equal(proxy.restart, 'always');
    });

    test('builds the image from this repository, with the Dockerfile defaults', () => {
      assert.deepEqual(proxy.build, {
        context: './xiaozhi-ota-proxy',
        args: {
          NODE_IMAGE: dockerfile.globalArgs.get('NODE_IMAGE'),
          NPM_REGISTRY: instructionsOf(dockerfile.stages[0] ?? runtime, 'ARG')
            .find((a) => a.startsWith('NPM_REGISTRY='))
            ?.slice('NPM_REGISTRY='.length),
        },
      });
      const elsewhere = servicesOf(
        folder.model([layout.official, ...layout.overrides], { OTA_PROXY_SRC: '/opt/xiaozhi-ota-proxy' }),
      )[PROXY];
      assert.equal((elsewhere?.build as JsonMapping).context, '/opt/xiaozhi-ota-proxy');
      assert.equal(proxy.image, 'xiaozhi-ota-proxy:local');
    });

    test('takes the admin token from OTA_PROXY_ADMIN_TOKEN, and leaves /admin off without one', () => {
      assert.equal(config.admin.token, null);
      const withToken = folder.model([layout.official, ...layout.overrides], {
        OTA_PROXY_ADMIN_TOKEN: 'a'.repeat(48),
      });
      assert.equal(readConfig(containerEnv(servicesOf(withToken)[PROXY] ?? {})).admin.token, 'a'.repeat(48));
    });

    test('with an older Compose, the one-line edit and the override alone give the same deployment', () => {
      const legacy = serverFolder(layout);
      try {
        const run = legacy.install(['--no-up', '--legacy']);
        assert.equal(run.status, 0, run.stderr);
        const [override] = layout.overrides;
        const model = legacy.model([layout.official, override ?? '']);
        assert.deepEqual(model, merged);
        // Only the documented lines went.
        assert.deepEqual(
          deletedLines(legacy.read(`${layout.official}.orig`), legacy.read(layout.official)),
          layout.legacyDeletes,
        );
        assert.equal(legacy.read(`${layout.official}.orig`), officialText(layout));
      } finally {
        legacy.remove();
      }
    });

    test('leaves the official compose file byte for byte as it was', () => {
      assert.equal(folder.read(layout.official), officialText(layout));
      assert.equal(existsSync(join(folder.dir, `${layout.official}.orig`)), false);
    });
  });
}
