import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { VERSION } from '../src/index.js';

const ROOT = join(import.meta.dirname, '..');
const CAP = join(ROOT, 'captures');
const BIN = join(ROOT, 'bin', 'tcpstate');

const run = (...args: string[]) => runCli(args);

describe('tcpstate CLI', () => {
  it('--help shows examples, --version the version', async () => {
    const h = await run('--help');
    expect(h.code).toBe(0);
    expect(h.out).toContain('Examples:');
    expect(h.out).toContain('tcpstate analyze capture.pcap');
    const a = await run('analyze', '--help');
    expect(a.out).toContain('--msl <seconds>');
    const v = await run('--version');
    expect(v.out.trim()).toBe(VERSION);
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version).toBe(VERSION);
  });

  it('text report: capture facts, counts, matrix, notable connections', async () => {
    const r = await run('analyze', join(CAP, 'server-never-closes.pcap'));
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/Capture +.*server-never-closes\.pcap: pcap, microsecond timestamps, link type EN10MB/);
    expect(r.out).toMatch(/Packets +\d+: 28 TCP, \d+ not decoded \(/);
    expect(r.out).toMatch(/Connections +3: 2 did not end normally, 2 still open at the end/);
    expect(r.out).toMatch(/ FIN_WAIT_2 +(\. +)*2/);
    const rows = r.out.split('\n').filter((l) => /^ +\d+ +10\.77\.0\.1:/.test(l));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain('FIN_WAIT_2    CLOSE_WAIT');
    expect(rows[2]).toContain('TIME_WAIT     CLOSED');
  });

  it('prints exactly the report the README shows for npm start', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const shown = readme.split('`npm start` prints:\n\n```\n')[1]!.split('\n```')[0]!;
    const cwd = process.cwd();
    process.chdir(ROOT);
    try {
      const r = await run('analyze', 'captures/server-never-closes.pcap');
      expect(r.out.trimEnd()).toBe(shown);
    } finally {
      process.chdir(cwd);
    }
  });

  it('takes thresholds from --config and --threshold, and rejects bad ones with exit code 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcpstate-config-'));
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ closeWait: { seconds: 1, critical: 2 } }));
    const crit = await run('analyze', '--config', good, join(CAP, 'server-never-closes.pcap'));
    expect(crit.code).toBe(0);
    expect(crit.out).toMatch(/^CRITICAL  close_wait_leak  10\.77\.0\.2:8080$/m);
    const info = await run('analyze', '--config', good, '--threshold', 'closeWait.seconds=60', join(CAP, 'server-never-closes.pcap'));
    expect(info.out).toMatch(/^INFO      close_wait_leak  10\.77\.0\.2:8080$/m);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"closeWait": {"secs": 1}}');
    const r1 = await run('analyze', '--config', bad, join(CAP, 'refused.pcap'));
    expect(r1.code).toBe(2);
    expect(r1.err).toBe(`tcpstate: error: ${bad}: unknown setting "closeWait.secs" (known: closeWait.seconds, closeWait.warning, closeWait.critical)\n`);
    writeFileSync(bad, '{"closeWait": ');
    const r2 = await run('analyze', '--config', bad, join(CAP, 'refused.pcap'));
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(new RegExp(`^tcpstate: error: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON`));
    const r3 = await run('analyze', '--threshold', 'synFlood.rate=fast', join(CAP, 'refused.pcap'));
    expect(r3.code).toBe(2);
    expect(r3.err).toBe('tcpstate: error: --threshold synFlood.rate=fast: "synFlood.rate" must be a non-negative number, not "fast"\n');
    const r4 = await run('analyze', '--config', join(dir, 'missing.json'), join(CAP, 'refused.pcap'));
    expect(r4.code).toBe(2);
    expect(r4.err).toBe(`tcpstate: error: ${join(dir, 'missing.json')}: cannot read it: ENOENT\n`);
    const none = await run('analyze', '--no-findings', join(CAP, 'server-never-closes.pcap'));
    expect(none.out).not.toContain('Findings');
  });

  it('bounds the table, and --all lists every connection', async () => {
    const few = await run('analyze', '--limit', '2', join(CAP, 'time-wait-pileup.pcap'));
    expect(few.out).toContain('Notable connections (2 of 8');
    const all = await run('analyze', '--all', '--limit', '2', join(CAP, 'time-wait-pileup.pcap'));
    expect(all.out.split('\n').filter((l) => /^ +\d+ +10\.77/.test(l))).toHaveLength(8);
  });

  it('-o writes the report to a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcpstate-'));
    const file = join(dir, 'r.json');
    const r = await run('analyze', '-f', 'json', '-o', file, join(CAP, 'refused.pcap'));
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    expect(JSON.parse(readFileSync(file, 'utf8')).schema).toBe('tcpstate.report/1');
  });

  it('-f zeek writes a conn.log, and --zeek puts Zeek\'s verdict on each JSON connection', async () => {
    const log = await run('analyze', '-f', 'zeek', join(CAP, 'refused.pcap'));
    expect(log.code).toBe(0);
    const lines = log.out.trimEnd().split('\n');
    expect(lines[0]).toBe('#separator \\x09');
    expect(lines.find((l) => l.startsWith('#fields\t'))).toContain('\tconn_state\t');
    const rows = lines.filter((l) => !l.startsWith('#'));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.split('\t').slice(2, 6)).toEqual(['10.77.0.1', '44308', '10.77.0.2', '8080']);
    expect(rows[0]!.split('\t')[11]).toBe('REJ');
    const json = JSON.parse((await run('analyze', '-f', 'json', '--zeek', join(CAP, 'refused.pcap'))).out);
    expect(json.connections[0].zeek).toMatchObject({ conn_state: 'REJ', history: 'Sr', uid: rows[0]!.split('\t')[1] });
    const plain = JSON.parse((await run('analyze', '-f', 'json', join(CAP, 'refused.pcap'))).out);
    expect(plain.connections[0].zeek).toBeUndefined();
  });

  it('exit 2 with one line on bad usage', async () => {
    for (const args of [['analyze'], ['analyze', '-f', 'xml', 'x.pcap'], ['analyze', '--msl', 'soon', 'x.pcap'], ['frobnicate']]) {
      const r = await run(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(/^error: /);
    }
  });

  it('exit 2 with one line naming file, packet and offset on unreadable input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcpstate-'));
    const raw = readFileSync(join(CAP, 'refused.pcap'));
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, raw.subarray(0, raw.length - 5));
    const r = await run('analyze', cut);
    expect(r.code).toBe(2);
    // The report of what came before the damage, saying where reading stopped; then the error line.
    expect(r.out).toMatch(/^Damage +.*cut\.pcap: packet \d+, byte offset \d+: pcap: file is truncated: .*; reading stopped there: this report covers what came before$/m);
    expect(r.out).toMatch(/^Connections +1: /m);
    const json = JSON.parse((await run('analyze', '-f', 'json', cut)).out);
    expect(json.summary.damage).toMatchObject({ file: cut, code: 'truncated', packet: expect.any(Number), offset: expect.any(Number) });
    expect(r.err).toMatch(new RegExp(`^tcpstate: error: ${cut.replace(/[.]/g, '\\.')}: packet \\d+, byte offset \\d+: pcap: file is truncated: .*\\n$`));
    const missing = await run('analyze', join(dir, 'nope.pcap'));
    expect(missing.code).toBe(2);
    expect(missing.err.split('\n')).toHaveLength(2);
    expect(missing.err).toContain('nope.pcap');
  });

  it('--strict: exit 2 on packets with damaged headers, which are otherwise counted and reported', async () => {
    // time-wait-pileup.pcap was captured with -s 96: every data packet is cut, but its headers are whole.
    expect((await run('analyze', '--strict', join(CAP, 'time-wait-pileup.pcap'))).code).toBe(0);
    const edge = join(import.meta.dirname, 'fixtures', 'edge-cases.pcap');
    const lax = await run('analyze', edge);
    expect(lax.code).toBe(0);
    expect(lax.out).toMatch(/truncated-tcp-header \d+/);
    const strict = await run('analyze', '--strict', edge);
    expect(strict.code).toBe(2);
    expect(strict.err).toMatch(/^tcpstate: error: --strict: damaged packets: .*truncated-tcp-header \d+/);
    expect(strict.out).toBe(lax.out);
  });

  it('the installed bin reads standard input with -', () => {
    const out = execFileSync(BIN, ['analyze', '-f', 'json', '-'], { input: readFileSync(join(CAP, 'server-never-closes.pcap.gz')) });
    const r = JSON.parse(out.toString());
    expect(r.inputs[0]).toMatchObject({ file: '-', compressed: true, format: 'pcap' });
    expect(r.summary.connections).toBe(3);
  });

  it('the installed bin exits 2 without a stack trace on random bytes', () => {
    const p = spawnSync(BIN, ['analyze', '-'], { input: Buffer.from('this is not a capture at all, just text\n'.repeat(20)) });
    expect(p.status).toBe(2);
    expect(p.stderr.toString()).toBe('tcpstate: error: -: packet 0, byte offset 0: not a pcap, pcapng or gzip file (magic 0x74686973)\n');
  });
});
