/** Which host doctor judges URLs for: --device-host, public_url, else the machine's LAN address (never a container bridge). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chooseDeviceHost,
  deviceHostHeader,
  pickLanAddress,
  type InterfaceAddress,
} from '../../src/doctor/device-host.js';
import { testConfig } from '../helpers/config-fixture.js';

const nic = (name: string, address: string, internal = false): InterfaceAddress => ({
  name,
  address,
  family: 'IPv4',
  internal,
});

describe('the device host', () => {
  test('--device-host wins, with or without a port', () => {
    const config = testConfig();
    assert.deepEqual(chooseDeviceHost({ option: '192.168.1.10', config, interfaces: [] }), {
      host: '192.168.1.10',
      port: null,
      source: 'option',
    });
    assert.deepEqual(chooseDeviceHost({ option: '[fd00::1]:9000', config, interfaces: [] }), {
      host: 'fd00::1',
      port: 9000,
      source: 'option',
    });
    assert.equal(typeof chooseDeviceHost({ option: 'a/b', config, interfaces: [] }), 'string');
  });

  test('a fixed public_url comes next', () => {
    const config = testConfig({ publicUrl: { scheme: 'https', host: 'ota.example.org', port: 443 } });
    const choice = chooseDeviceHost({ option: null, config, interfaces: [nic('eth0', '192.168.1.10')] });
    assert.deepEqual(choice, { host: 'ota.example.org', port: 443, source: 'public_url' });
    if (typeof choice !== 'string') assert.equal(deviceHostHeader(choice, config), 'ota.example.org');
  });

  test('else the LAN address, skipping loopback, Docker bridges and VPN links', () => {
    const lan = pickLanAddress([
      nic('lo', '127.0.0.1', true),
      nic('docker0', '172.17.0.1'),
      nic('br-3f2a', '172.18.0.1'),
      nic('tailscale0', '100.100.1.2'),
      nic('eth0', '192.168.1.10'),
    ]);
    assert.equal(lan?.address, '192.168.1.10');
    assert.equal(pickLanAddress([nic('lo', '127.0.0.1', true)]), null);
    const choice = chooseDeviceHost({
      option: null,
      config: testConfig(),
      interfaces: [nic('lo', '127.0.0.1', true)],
    });
    assert.deepEqual(choice, { host: '127.0.0.1', port: null, source: 'none' });
  });

  test('the Host header carries the listen port unless a port was given', () => {
    const config = testConfig();
    assert.equal(
      deviceHostHeader({ host: '192.168.1.10', port: null, source: 'lan' }, config),
      '192.168.1.10:8003',
    );
    assert.equal(
      deviceHostHeader({ host: '192.168.1.10', port: 80, source: 'option' }, config),
      '192.168.1.10',
    );
    assert.equal(
      deviceHostHeader({ host: 'fd00::1', port: 9000, source: 'option' }, config),
      '[fd00::1]:9000',
    );
  });
});
