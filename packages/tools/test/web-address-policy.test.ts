import { describe, expect, it } from 'vitest';
import { addressRestriction, EgressPolicy, isPublicAddress } from '../src/web/address-policy.js';

describe('addressRestriction', () => {
  it.each([
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['169.254.1.1', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:10.0.0.1', 'private'],
    ['0:0:0:0:0:ffff:c0a8:0101', 'private'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::a00:1', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:c0a8:0101::1', 'private'],
    ['2001:0:4136:e378::1', 'Teredo'],
    ['not-an-ip', 'not an IP address'],
  ])('%s is refused (%s)', (address, reason) => {
    expect(addressRestriction(address)).toContain(reason);
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '169.255.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ])('%s is public', (address) => {
    expect(addressRestriction(address)).toBeUndefined();
  });
});

describe('EgressPolicy', () => {
  const url = (href: string): URL => new URL(href);

  it('refuses when any one of several addresses is private', () => {
    const policy = new EgressPolicy();
    expect(policy.refusal(url('http://example.test/'), ['93.184.216.34'])).toBeUndefined();
    expect(policy.refusal(url('http://example.test/'), ['93.184.216.34', '10.0.0.5'])).toMatch(
      /private.*example\.test resolves to 10\.0\.0\.5/,
    );
    expect(policy.refusal(url('http://example.test/'), [])).toMatch(/did not resolve/);
    // An IPv4 address inside an IPv6 one is named once, in a sentence that reads.
    expect(policy.refusal(url('http://example.test/'), ['::ffff:127.0.0.1'])).toMatch(
      /^refused to connect to a loopback IPv4 127\.0\.0\.1 inside an IPv6 address \(example\.test resolves to ::ffff:127\.0\.0\.1\);/,
    );
  });

  it('lets allowlisted hosts, host:port and IPs through, and only those', () => {
    const policy = new EgressPolicy([
      'intranet.corp',
      'localhost:8888',
      '127.0.0.1:9000',
      '[::1]:7000',
      '10.0.0.7',
    ]);
    expect(policy.refusal(url('http://intranet.corp/x'), ['10.1.1.1'])).toBeUndefined();
    expect(policy.refusal(url('http://INTRANET.corp.:8080/x'), ['10.1.1.1'])).toBeUndefined();
    expect(policy.refusal(url('http://localhost:8888/'), ['127.0.0.1'])).toBeUndefined();
    expect(policy.refusal(url('http://localhost:8889/'), ['127.0.0.1'])).toMatch(/loopback/);
    expect(policy.refusal(url('http://127.0.0.1:9000/'), ['127.0.0.1'])).toBeUndefined();
    expect(policy.refusal(url('http://127.0.0.1:9001/'), ['127.0.0.1'])).toMatch(/loopback/);
    expect(policy.refusal(url('http://[::1]:7000/'), ['::1'])).toBeUndefined();
    expect(policy.refusal(url('http://[0:0:0:0:0:0:0:1]:7000/'), ['0:0:0:0:0:0:0:1'])).toBeUndefined();
    expect(policy.refusal(url('http://[::1]:7001/'), ['::1'])).toMatch(/loopback/);
    // An allowlisted IP covers a name that resolves to it.
    expect(policy.refusal(url('http://files.lan/'), ['10.0.0.7'])).toBeUndefined();
    expect(policy.refusal(url('http://files.lan/'), ['10.0.0.8'])).toMatch(/private/);
  });

  it('with() adds entries without losing the old ones', () => {
    const policy = new EgressPolicy(['[::1]']).with(['localhost:1234']);
    expect(policy.refusal(url('http://localhost:1234/'), ['127.0.0.1'])).toBeUndefined();
    expect(policy.refusal(url('http://[::1]:5/'), ['::1'])).toBeUndefined();
  });
});
