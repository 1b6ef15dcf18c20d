import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { correlate, type CorrelateReport, type CorrelatedConnection } from '../src/correlate/index.js';
import { STATE_NAMES } from '../src/tcp/index.js';
import { flagString } from '../src/report/tcpdump.js';
import { runCli } from './helpers/cli.js';

/**
 * correlate on pairs of real captures of the same kernel traffic, one near the client and one near
 * the server, with a relay between them that dropped chosen segments, delayed each direction and,
 * in `nat`, rewrote the client's address and port (captures/correlate, made by
 * captures/make/make-correlate.sh). The truth is the relay's log of every drop and the `ss` of
 * both hosts when the captures stopped.
 */
const DIR = join(import.meta.dirname, '..', 'captures', 'correlate');
const SCENARIOS = ['loss', 'nat', 'asym'] as const;

interface Drop { dir: 'c2s' | 's2c'; client_port: number; seq: number; len: number; tcp_flags: string }
interface SsRow { state: string; local: string; peer: string }
interface Truth {
  hosts: { client: { ss: SsRow[] }; server: { ss: SsRow[] } };
  induced: {
    one_way_delay_ms: { c2s: number; s2c: number };
    nat: { mappings: { client_side: string; server_side: string }[] } | null;
    relay: { dropped: Drop[] };
  };
}

const truth = (name: string): Truth => JSON.parse(readFileSync(join(DIR, `${name}.truth.json`), 'utf8')) as Truth;
const pair = (name: string) => [join(DIR, `${name}-client.pcap`), join(DIR, `${name}-server.pcap`)] as const;

/** ss's state names as RFC 9293's; a socket ss no longer lists is CLOSED. */
function ssState(rows: SsRow[], local: string): string {
  const row = rows.find((r) => r.local === local && r.state !== 'LISTEN');
  if (row === undefined) return 'CLOSED';
  return ({ ESTAB: 'ESTABLISHED', 'TIME-WAIT': 'TIME_WAIT', 'FIN-WAIT-1': 'FIN_WAIT_1', 'FIN-WAIT-2': 'FIN_WAIT_2', 'CLOSE-WAIT': 'CLOSE_WAIT', 'LAST-ACK': 'LAST_ACK' } as Record<string, string>)[row.state] ?? row.state;
}

const reports = new Map<string, CorrelateReport>();
async function report(name: string): Promise<CorrelateReport> {
  if (!reports.has(name)) reports.set(name, await correlate(...pair(name)));
  return reports.get(name)!;
}

const byClientPort = (r: CorrelateReport, port: number): CorrelatedConnection => r.connections.find((c) => c.client.port === port)!;

describe('correlate: two captures of one path', () => {
  for (const name of SCENARIOS) {
    describe(name, () => {
      it('finds every segment the relay dropped, on the right side and direction, and nothing else lost', async () => {
        const r = await report(name);
        const drops = truth(name).induced.relay.dropped;
        expect(drops.length).toBeGreaterThan(0);
        const found = r.connections.flatMap((c) => c.lost.map((l) => `${c.client.port} ${l.from} ${l.seq} ${l.len} ${flagString(l.flags & 0xff)} ${l.capture}`)).sort();
        const expected = drops.map((d) => `${d.client_port} ${d.dir === 'c2s' ? 'client' : 'server'} ${d.seq} ${d.len} ${d.tcp_flags} ${d.dir === 'c2s' ? 'A' : 'B'}`).sort();
        expect(found).toEqual(expected);
        for (const c of r.connections) {
          expect(c.notArrived).toEqual([]);
          expect(c.onlyNearReceiver).toEqual([]);
          expect(c.outsideOther).toEqual([]);
        }
      });

      it('measures each one-way delay within 10% of the induced one', async () => {
        const r = await report(name);
        const induced = truth(name).induced.one_way_delay_ms;
        expect(r.clock.synchronized).toBe(true);
        for (const [d, ms] of [[r.oneWayDelay.clientToServer, induced.c2s], [r.oneWayDelay.serverToClient, induced.s2c]] as const) {
          expect(d).not.toBeNull();
          expect(Math.abs(d!.p50 * 1e3 - ms) / ms).toBeLessThan(0.1);
          expect(d!.min * 1e3).toBeGreaterThanOrEqual(ms * 0.99);
        }
        for (const c of r.connections) {
          expect(Math.abs(c.oneWayDelay.clientToServer!.p50 * 1e3 - induced.c2s) / induced.c2s).toBeLessThan(0.1);
          expect(Math.abs(c.oneWayDelay.serverToClient!.p50 * 1e3 - induced.s2c) / induced.s2c).toBeLessThan(0.1);
        }
      });

      it('gives each endpoint the state its kernel had, from the capture nearer it', async () => {
        const r = await report(name);
        const t = truth(name);
        const nat = t.induced.nat?.mappings ?? [];
        expect(r.connections.length).toBe(new Set(r.connections.map((c) => c.client.port)).size);
        for (const c of r.connections) {
          expect(c.nearClient).toBe('A');
          expect(c.client.capture).toBe('A');
          expect(c.server.capture).toBe('B');
          expect(c.client.possibleStates).toEqual([]);
          expect(c.server.possibleStates).toEqual([]);
          const clientSide = `${c.client.addr}:${c.client.port}`;
          const serverSide = nat.find((m) => m.client_side === clientSide)?.server_side ?? clientSide;
          expect(STATE_NAMES[c.client.state], clientSide).toBe(ssState(t.hosts.client.ss, clientSide));
          expect(STATE_NAMES[c.server.state], serverSide).toBe(ssState(t.hosts.server.ss.map((s) => ({ ...s, local: s.peer })), serverSide));
        }
      });
    });
  }

  it('matches the two files through the NAT between them, and names the mapping', async () => {
    const r = await report('nat');
    const mappings = truth('nat').induced.nat!.mappings;
    expect(r.matched.connections).toBe(mappings.length);
    expect(r.matched.onlyA + r.matched.onlyB).toBe(0);
    for (const m of mappings) {
      const c = byClientPort(r, Number(m.client_side.split(':')[1]));
      expect(`${c.client.addr}:${c.client.port}`).toBe(m.client_side);
      expect(`${c.client.translated!.addr}:${c.client.translated!.port}`).toBe(m.server_side);
      expect(c.server.translated).toBeNull();
      expect(c.segments.matched).toBeGreaterThan(20);
    }
  });

  it('tells which capture is nearer the client whichever order they are given in', async () => {
    const [a, b] = pair('asym');
    const r = await correlate(b, a);
    expect(r.nearClient).toBe('B');
    for (const c of r.connections) {
      expect(c.client.capture).toBe('B');
      expect(c.server.capture).toBe('A');
    }
    expect(r.oneWayDelay.clientToServer!.p50 * 1e3).toBeCloseTo(10, 0);
    expect(r.oneWayDelay.serverToClient!.p50 * 1e3).toBeCloseTo(30, 0);
    expect(r.connections.flatMap((c) => c.lost.map((l) => [l.from, l.capture]))).toEqual([['server', 'A']]);
  });

  it('estimates the offset of a clock that is 2.5 s off, and the delays on the corrected clock', async () => {
    const [a, b] = pair('loss');
    const shifted = join(mkdtempSync(join(tmpdir(), 'tcpstate-correlate-')), 'loss-server-shifted.pcap');
    writeFileSync(shifted, shiftPcap(readFileSync(b), 2_500_000));
    const r = await correlate(a, shifted);
    expect(r.clock.synchronized).toBe(false);
    expect(Math.abs(r.clock.offset - 2.5)).toBeLessThan(0.001);
    // The middle of what the segments allow, which takes the delay to be the same each way: here it is (20 ms).
    expect(Math.abs(r.oneWayDelay.clientToServer!.p50 * 1e3 - 20) / 20).toBeLessThan(0.1);
    expect(Math.abs(r.oneWayDelay.serverToClient!.p50 * 1e3 - 20) / 20).toBeLessThan(0.1);
    expect(r.connections.reduce((n, c) => n + c.lost.length, 0)).toBe(truth('loss').induced.relay.dropped.length);
  });

  it('an endpoint one capture cannot tell gets the state the capture beside it shows; what came after the other stopped is not called lost', async () => {
    const [a, b] = pair('loss');
    // A stops right after the client's FIN of connection 1: alone, it cannot tell whether the FIN reached the server.
    const bytes = readFileSync(a);
    const fin = recordOffsets(bytes).find((at) => bytes.readUInt16BE(at + 16 + 34) === 42001 && (bytes[at + 16 + 47]! & 0x01) !== 0)!;
    const cut = join(mkdtempSync(join(tmpdir(), 'tcpstate-correlate-')), 'loss-client-cut.pcap');
    writeFileSync(cut, bytes.subarray(0, fin + 16 + bytes.readUInt32LE(fin + 8)));
    const r = await correlate(cut, b);
    const c = byClientPort(r, 42001);
    expect(STATE_NAMES[c.client.state]).toBe('FIN_WAIT_1');
    expect(c.server.capture).toBe('B');
    expect(c.server.otherView!.possibleStates.map((s) => STATE_NAMES[s])).toContain('CLOSE_WAIT');
    expect(c.server.possibleStates).toEqual([]);
    expect(STATE_NAMES[c.server.state]).toBe('CLOSED');
    // The server's FIN and the rest came after A had stopped: not lost, not arrived; the client's last ACK passed B only.
    expect(c.lost.map((l) => l.from)).toEqual(['client']);
    expect(c.notArrived.map((l) => flagString(l.flags))).toEqual(['F.']);
    expect(c.outsideOther.map((l) => [l.from, flagString(l.flags)])).toEqual([['client', '.']]);
    expect(r.matched.onlyB).toBe(5);
    for (const later of r.connections.filter((x) => x.ids.A === null)) {
      expect(later.lost).toEqual([]);
      expect(later.notArrived.every((l) => l.from === 'server')).toBe(true);
      expect(later.outsideOther.every((l) => l.from === 'client')).toBe(true);
    }
  });

  it('path_loss names the pair, the direction and the counts; silent where nothing was lost between the points', async () => {
    const r = await report('loss');
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0]!;
    expect([f.kind, f.client, f.server]).toEqual(['path_loss', '10.81.0.1', '10.81.0.2:8080']);
    const drops = truth('loss').induced.relay.dropped;
    expect(f.lost).toEqual({ clientToServer: drops.filter((d) => d.dir === 'c2s').length, serverToClient: drops.filter((d) => d.dir === 's2c').length });
    expect(f.sent.clientToServer).toBeGreaterThan(f.lost.clientToServer);
    expect(f.evidence.length).toBe(drops.length);
    // Both captures of two-points saw the FIN the server's own firewall dropped: nothing was lost between them.
    const quiet = await correlate(join(DIR, '..', 'two-points-client.pcap'), join(DIR, '..', 'two-points-server.pcap'));
    expect(quiet.matched.connections).toBe(1);
    expect(quiet.findings).toEqual([]);
    expect(quiet.connections[0]!.lost).toEqual([]);
  });

  it('the CLI writes every format, the JSON as tcpstate.correlate/1, the same bytes every run', async () => {
    const [a, b] = pair('loss');
    const json = await runCli(['correlate', '-f', 'json', a, b]);
    expect(json.code).toBe(0);
    expect(json.err).toBe('');
    const doc = JSON.parse(json.out);
    expect(doc.schema).toBe('tcpstate.correlate/1');
    const c = doc.connections.find((x: { client: { port: number } }) => x.client.port === 42003);
    expect(c.client).toMatchObject({ addr: '10.81.0.1', port: 42003, state: 'TIME_WAIT' });
    expect(c.server).toMatchObject({ addr: '10.81.0.2', port: 8080, state: 'CLOSED' });
    expect(c.nearClient).toBe('A');
    expect(c.lost).toEqual([expect.objectContaining({ from: 'client', seq: 3559637195, len: 1448, flags: 'P.' })]);
    expect(Object.keys(c.oneWayDelay.clientToServer)).toEqual(['min', 'p50', 'max', 'samples']);
    expect((await runCli(['correlate', '-f', 'json', a, b])).out).toBe(json.out);
    const text = await runCli(['correlate', a, b]);
    expect(text.out).toContain('WARNING path_loss 10.81.0.1 <-> 10.81.0.2:8080: 5 segments lost');
    expect(text.out).toMatch(/A #\d+ \d\d:\d\d:\d\d\.\d{6} IP 10\.81\.0\.1\.42003 > 10\.81\.0\.2\.8080: Flags \[P\.\], seq 3559637195:3559638643, ack \d+, length 1448/);
    const md = await runCli(['correlate', '-f', 'markdown', a, b]);
    expect(md.out).toContain('## Lost between the capture points');
    const html = await runCli(['correlate', '-f', 'html', a, b]);
    expect(html.out).toContain('<svg');
    // Each lost segment is drawn, ending between the two capture lines with a cross.
    expect(html.out.match(/✕/g)?.length).toBe(truth('loss').induced.relay.dropped.length);
  });

  it('a capture that breaks off: one line naming the file, packet and offset, exit 2, the report of what came before', async () => {
    const [a, b] = pair('nat');
    const bytes = readFileSync(b);
    const cut = join(mkdtempSync(join(tmpdir(), 'tcpstate-correlate-')), 'nat-server-cut.pcap');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const r = await runCli(['correlate', a, cut]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/nat-server-cut\.pcap.*packet \d+.*offset \d+/);
    expect(r.out).toContain('Matched');
    const stdin = await runCli(['correlate', '-', b]);
    expect(stdin.code).toBe(2);
  });
});

/** Where each record of a classic little-endian pcap begins. */
function recordOffsets(file: Buffer): number[] {
  const out: number[] = [];
  for (let at = 24; at + 16 <= file.length; at += 16 + file.readUInt32LE(at + 8)) out.push(at);
  return out;
}

/** A classic pcap (microseconds, little-endian) with every record's time moved by `us` microseconds. */
function shiftPcap(file: Buffer, us: number): Buffer {
  const out = Buffer.from(file);
  expect(out.readUInt32LE(0)).toBe(0xa1b2c3d4);
  for (let at = 24; at + 16 <= out.length;) {
    const t = out.readUInt32LE(at) * 1e6 + out.readUInt32LE(at + 4) + us;
    out.writeUInt32LE(Math.floor(t / 1e6), at);
    out.writeUInt32LE(t % 1e6, at + 4);
    at += 16 + out.readUInt32LE(at + 8);
  }
  return out;
}

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

describe.skipIf(!CHROMIUM)('the correlate page in a real browser (headless Chromium)', () => {
  it('loads without errors, with a ladder per connection and the lost segments crossed out between the capture lines', async () => {
    const [a, b] = pair('loss');
    const html = (await runCli(['correlate', '-f', 'html', a, b])).out;
    const file = join(mkdtempSync(join(tmpdir(), 'tcpstate-correlate-')), 'loss.html');
    writeFileSync(file, html);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      await page.goto(`file://${file}`);
      expect(errors).toEqual([]);
      expect(await page.locator('section.ladder svg').count()).toBe(6);
      // Each cross lies between the two dashed capture lines.
      const inside = await page.evaluate(() => [...document.querySelectorAll('section.ladder svg')].flatMap((svg) => {
        const points = [...svg.querySelectorAll('line.point')].map((l) => Number(l.getAttribute('x1')));
        return [...svg.querySelectorAll('text.cross')].map((t) => Number(t.getAttribute('x')) > Math.min(...points) && Number(t.getAttribute('x')) < Math.max(...points));
      }));
      expect(inside).toEqual(Array(truth('loss').induced.relay.dropped.length).fill(true));
      mkdirSync(join(import.meta.dirname, '..', 'test-output'), { recursive: true });
      await page.locator('#c-2-2').screenshot({ path: join(import.meta.dirname, '..', 'test-output', 'correlate-loss-ladder.png') });
    } finally {
      await browser.close();
    }
  });
});
