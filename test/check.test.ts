import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { parseExpectations } from '../src/check/index.js';

const ROOT = join(import.meta.dirname, '..');
const CAP = join(ROOT, 'captures');
const EXPECT = join(CAP, 'ci', 'expectations.json');

const run = (...args: string[]) => runCli(args);

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

  it('reads the same expectations from YAML, and names the line of a YAML error', async () => {
    const yamlFile = join(CAP, 'ci', 'expectations.yaml');
    expect(parseExpectations(readFileSync(yamlFile, 'utf8'), yamlFile)).toEqual(parseExpectations(readFileSync(EXPECT, 'utf8'), EXPECT));
    const dir = mkdtempSync(join(tmpdir(), 'tcpstate-yaml-'));
    const bad = join(dir, 'bad.yml');
    writeFileSync(bad, 'rules:\n  - noFinding: {atLeast: warning\n');
    const r = await run('check', '--expect', bad, join(CAP, 'refused.pcap'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^tcpstate: error: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid YAML: .* at line 3, column 1`));
    writeFileSync(bad, 'rules:\n  - noFinding: {atLeast: warn}\n');
    expect((await run('check', '--expect', bad, join(CAP, 'refused.pcap'))).err).toContain('rules[0].noFinding.atLeast: expected one of critical, warning, info, not "warn"');
  });

  it('the example in captures/ci is valid and names captures that exist', () => {
    const e = parseExpectations(readFileSync(EXPECT, 'utf8'), EXPECT);
    for (const name of Object.keys(e.captures)) expect(() => readFileSync(join(CAP, name))).not.toThrow();
  });
});

describe('baselines and tcpstate diff', () => {
  const BASE = join(CAP, 'ci', 'baselines');
  const three = ['normal-traffic.pcap', 'server-never-closes.pcap', 'mixed.pcap'].map((f) => join(CAP, f));

  it('the stored baselines in captures/ci hold, with the expectations too', async () => {
    const r = await run('check', '--expect', EXPECT, '--baseline', BASE, ...three);
    expect(r.out).toBe('OK: 11 of 11 checks hold on 3 captures\n');
    expect(r.code).toBe(0);
  });

  it('fails on a changed report and prints the differences; a missing baseline fails unless written', async () => {
    const changed = await run('check', '--baseline', BASE, '--threshold', 'closeWait.seconds=60', join(CAP, 'mixed.pcap'));
    expect(changed.code).toBe(1);
    expect(changed.out).toBe(`FAIL ${join(CAP, 'mixed.pcap')}: baseline ${join(BASE, 'mixed.pcap.json')}: 1 difference\n` +
      '  ~ finding close_wait_leak 10.77.0.2:8080 (server): warning → info\nFAILED: 0 of 1 checks hold on 1 capture\n');
    const dir = mkdtempSync(join(tmpdir(), 'tcpstate-baseline-'));
    const missing = await run('check', '--baseline', dir, '--junit', join(dir, 'j.xml'), join(CAP, 'refused.pcap'));
    expect(missing.code).toBe(1);
    expect(missing.out).toContain('no baseline (run with --update-baseline to write it)');
    expect(readFileSync(join(dir, 'j.xml'), 'utf8')).toContain(`name="baseline ${join(dir, 'refused.pcap.json')}"><failure`);
    const written = await run('check', '--baseline', dir, '--update-baseline', join(CAP, 'refused.pcap'));
    expect(written.code).toBe(0);
    expect((await run('check', '--baseline', dir, join(CAP, 'refused.pcap'))).code).toBe(0);
    expect((await run('check', join(CAP, 'refused.pcap'))).err).toBe('tcpstate: error: check needs --expect FILE, --baseline DIR, or both\n');
  });

  it('diff: the same differences between two JSON reports; nothing for identical ones; exit 2 on what is not a report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcpstate-diff-'));
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    writeFileSync(a, (await run('analyze', '-f', 'json', join(CAP, 'mixed.pcap'))).out);
    writeFileSync(b, (await run('analyze', '-f', 'json', join(CAP, 'server-never-closes.pcap'))).out);
    const same = await run('diff', a, a);
    expect([same.code, same.out]).toEqual([0, 'no differences\n']);
    const d = await run('diff', b, a);
    expect(d.code).toBe(1);
    const lines = d.out.trimEnd().split('\n');
    expect(lines).toContain('~ finding close_wait_leak 10.77.0.2:8080 (server): 2 → 3 connections');
    expect(lines).toContain('+ finding warning connection_refused 10.77.0.2:8081: 4 connections (new)');
    expect(lines).toContain('~ end states FIN_WAIT_2/CLOSE_WAIT (client/server): 2 → 3 connections');
    expect(lines.some((l) => /^- connection 10\.77\.0\.1:\d+ > 10\.77\.0\.2:8080: FIN_WAIT_2\/CLOSE_WAIT \(gone\)$/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/^… and \d+ more connection changes$/);
    writeFileSync(b, '{"schema": "other"}');
    const bad = await run('diff', a, b);
    expect(bad.code).toBe(2);
    expect(bad.err).toBe(`tcpstate: error: ${b}: not a tcpstate JSON report (schema tcpstate.report/1)\n`);
  });

  it('reports are deterministic: the same input gives the same bytes in JSON, Markdown and zeek', async () => {
    for (const format of ['json', 'markdown', 'zeek']) {
      const x = await run('analyze', '-f', format, join(CAP, 'mixed.pcap'));
      const y = await run('analyze', '-f', format, join(CAP, 'mixed.pcap'));
      expect(x.out.length).toBeGreaterThan(1000);
      expect(y.out).toBe(x.out);
    }
  });
});
