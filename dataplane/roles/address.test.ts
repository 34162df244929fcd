import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, it } from 'node:test';
import { advertiseAddress } from './address.js';

const iface = (address: string, internal: boolean, family: 'IPv4' | 'IPv6' = 'IPv4') => ({ address, internal, family }) as NetworkInterfaceInfo;
const interfaces = { lo: [iface('127.0.0.1', true)], eth0: [iface('fe80::1', false, 'IPv6'), iface('10.0.3.7', false)] };

describe('role addresses', () => {
  it('announces --advertise, else $POD_IP, else the bound address, else a dialable address of this host', () => {
    const bound = { host: '127.0.0.1', port: 41000 };
    assert.deepEqual(advertiseAddress(bound, { host: 'pem.example', port: 12345 }, '10.9.9.9', interfaces), { host: 'pem.example', port: 12345 });
    assert.deepEqual(advertiseAddress(bound, { host: 'pem.example', port: 0 }, undefined, interfaces), { host: 'pem.example', port: 41000 }, '--advertise port 0: the bound port');
    assert.deepEqual(advertiseAddress(bound, undefined, '10.9.9.9', interfaces), { host: '10.9.9.9', port: 41000 });
    assert.deepEqual(advertiseAddress(bound, undefined, undefined, interfaces), bound);
    assert.deepEqual(advertiseAddress({ host: '0.0.0.0', port: 12345 }, undefined, undefined, interfaces), { host: '10.0.3.7', port: 12345 });
    assert.deepEqual(advertiseAddress({ host: '0.0.0.0', port: 12345 }, undefined, undefined, { lo: interfaces.lo }), { host: '127.0.0.1', port: 12345 });
  });
});
