/**
 * The /readyz verdict alone: ready when the catalog is loaded (or off) and the breaker is closed or the
 * fallback can answer; further checks (the fleet store's) are reported but never make it unready, and
 * never replace a built-in check.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { readiness, UpstreamWatch, type HealthSources } from '../../src/admin/health.js';
import type { Config } from '../../src/config/types.js';
import { CircuitBreaker } from '../../src/fallback/breaker.js';
import { DeviceMemory } from '../../src/fallback/device-memory.js';
import type { ProxyState } from '../../src/runtime/proxy-state.js';
import { testConfig } from '../helpers/config-fixture.js';

function sources(config: Config, extra: Partial<HealthSources> = {}): HealthSources {
  const breaker = new CircuitBreaker({ failures: 1, cooldownMs: 60_000, now: () => 0 });
  const state = {
    config: () => config,
    now: () => 0,
    breaker,
    memory: new DeviceMemory(10),
    logger: pino({ level: 'silent' }),
  } as unknown as ProxyState;
  return { state, upstream: new UpstreamWatch(), catalog: () => null, ...extra };
}

describe('readiness', () => {
  test('no catalog configured, breaker closed: ready, the catalog off', () => {
    const result = readiness(sources(testConfig()));
    assert.equal(result.status, 'ready');
    assert.equal(result.checks.catalog, 'off');
    assert.equal(result.catalog, undefined);
  });

  test('a configured catalog that has not loaded: not ready', () => {
    const config = testConfig({ firmware: { ...testConfig().firmware, dir: '/nowhere' } });
    const result = readiness(sources(config));
    assert.equal(result.status, 'not ready');
    assert.equal(result.checks.catalog, 'not loaded');
  });

  test('further checks are reported, never make it unready, never replace a built-in one', () => {
    const result = readiness(
      sources(testConfig(), { checks: () => ({ store: 'degraded', config: 'overridden', fallback: 'x' }) }),
    );
    assert.equal(result.status, 'ready');
    assert.equal(result.checks.store, 'degraded');
    assert.equal(result.checks.config, 'loaded');
    assert.equal(result.checks.fallback, 'knows no transport yet');
  });
});
