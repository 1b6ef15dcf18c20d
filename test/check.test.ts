import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { parseExpectations } from '../src/check/index.js';

const ROOT = join(import.meta.dirname, '..');
const CAP = join(ROOT, 'captures');
const EXPECT = join(CAP, 'ci', 'expectations.json');

async function run(...args: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await main(args, { stdout, stderr });
  return { code, out, err };
}

describe('tcpstate check (CI mode)', () => {
  it('exits 0 when every rule holds on the stored captures', async () => {
    const r = await run('check', '--expect', EXPECT, ...['normal-traffic.pcap', 'server-never-closes.pcap', 'mixed.pcap'].map((f) => join(CAP, f)));
    expect(r.err).toBe('');
    expect(r.out).toBe('OK: 8 of 8 checks hold on 3 captures\n');
    expect(r.code).toBe(0);
  });

  it('exits 1 and prints one line per failure naming the capture, the rule and the figures', async () => {
    const r = await run('check', '--expect', EXPECT, join(CAP, 'syn-flood.pcap'), join(CAP, 'mixed.pcap'));
    expect(r.code).toBe(1);
    expect(r.out.split('\n')).toEqual([
      `FAIL ${join(CAP, 'syn-flood.pcap')}: no SYN flood: found 1: critical syn_flood 10.77.0.2:8080 (5002 connections)`,
      'FAILED: 3 of 4 checks hold on 2 captures', '',
    ]);
  });

  it('evaluates each kind of rule with its figures', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcpstate-check-'));
    const file = join(dir, 'e.json');
    writeFileSync(file, JSON.stringify({ rules: [
      { requireFinding: { kind: 'close_wait_leak', atLeast: 'critical' } },
      { maxEndStates: { client: 'FIN_WAIT_2', max: 2 } },
      { endpointLimit: { endpoint: '10.77.0.2:8080', maxAbnormal: 4 } },
      { noFinding: { endpoint: '10.77.0.2:8082' } },
    ] }));
    const r = await run('check', '--expect', file, '-f', 'json', join(CAP, 'mixed.pcap'));
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.out);
    expect(doc.ok).toBe(false);
    expect(doc.captures[0].results).toEqual([
      { rule: 'a close_wait_leak at critical or above', ok: false, message: 'not found (close_wait_leak seen only as: warning 10.77.0.2:8080)' },
      { rule: 'at most 2 ending FIN_WAIT_2/*', ok: false, message: '3 connections end FIN_WAIT_2/* (at most 2)' },
      { rule: 'at most 4 abnormal endings on 10.77.0.2:8080', ok: false, message: '5 of 307 connections to 10.77.0.2:8080 ended abnormally (at most 4)' },
      { rule: 'no finding on 10.77.0.2:8082 at info or above', ok: false, message: 'found 1: warning syn_unanswered 10.77.0.2:8082 (2 connections)' },
    ]);
  });

  it('writes JUnit XML: a test suite per capture, a test case per rule, failures with their message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcpstate-junit-'));
    const xml = join(dir, 'junit.xml');
    const r = await run('check', '--expect', EXPECT, '--junit', xml, join(CAP, 'syn-flood.pcap'), join(CAP, 'mixed.pcap'));
    expect(r.code).toBe(1);
    const text = readFileSync(xml, 'utf8');
    expect(text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="tcpstate check" tests="4" failures="1">/);
    expect(text.match(/<testcase /g)).toHaveLength(4);
    expect(text).toContain('<failure message="found 1: critical syn_flood 10.77.0.2:8080 (5002 connections)">');
    // A real XML parser agrees, where one is installed.
    const py = spawnSync('python3', ['-c', 'import sys,xml.etree.ElementTree as E; r=E.parse(sys.argv[1]).getroot(); ' +
      'print(r.tag, len(r.findall("testsuite")), len(r.findall(".//testcase")), len(r.findall(".//failure")))', xml], { encoding: 'utf8' });
    if (py.status === 0) expect(py.stdout.trim()).toBe('testsuites 2 4 1');
  });

  it('exits 2 with one clear line on malformed expectations, a missing file, or a capture it cannot read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcpstate-bad-'));
    const cases: [string, string][] = [
      ['{"rules": [', 'not valid JSON'],
      ['{"rules": [{"noFinding": {"atLeast": "warn"}}]}', 'rules[0].noFinding.atLeast: expected one of critical, warning, info, not "warn"'],
      ['{"rules": [{"maxEndStates": {"client": "ESTAB", "max": 1}}]}', 'rules[0].maxEndStates.client: expected one of CLOSED, LISTEN'],
      ['{"rules": [{"requireFinding": {"kind": "flood"}}]}', 'rules[0].requireFinding.kind: expected one of syn_flood'],
      ['{"rules": [{"endpointLimit": {"endpoint": "a:1", "maxAbnormal": -1}}]}', 'rules[0].endpointLimit.maxAbnormal: expected a whole number of 0 or more, not -1'],
      ['{"rules": [{"noFinding": {}, "maxEndStates": {}}]}', 'rules[0]: expected one of noFinding, requireFinding, maxEndStates, endpointLimit'],
      ['{"rule": []}', '(top level): unknown key "rule"'],
      ['{"rules": []}', 'no rules'],
    ];
    for (const [i, [body, message]] of cases.entries()) {
      const file = join(dir, `e${i}.json`);
      writeFileSync(file, body);
      const r = await run('check', '--expect', file, join(CAP, 'refused.pcap'));
      expect(r.code, body).toBe(2);
      expect(r.err, body).toContain(`tcpstate: error: ${file}: ${message}`);
      expect(r.err.split('\n')).toHaveLength(2);
    }
    const missing = await run('check', '--expect', join(dir, 'none.json'), join(CAP, 'refused.pcap'));
    expect(missing.code).toBe(2);
    expect(missing.err).toBe(`tcpstate: error: ${join(dir, 'none.json')}: cannot read it: ENOENT\n`);
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, readFileSync(join(CAP, 'refused.pcap')).subarray(0, 100));
    const damaged = await run('check', '--expect', EXPECT, cut);
    expect(damaged.code).toBe(2);
    expect(damaged.err).toMatch(/^tcpstate: error: .*cut\.pcap: packet \d+, byte offset \d+: /);
    const usage = await run('check', join(CAP, 'refused.pcap'));
    expect(usage.code).toBe(2);
  });

  it('the example in captures/ci is valid and names captures that exist', () => {
    const e = parseExpectations(readFileSync(EXPECT, 'utf8'), EXPECT);
    for (const name of Object.keys(e.captures)) expect(() => readFileSync(join(CAP, name))).not.toThrow();
  });
});
