import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze, DEFAULT_MAX_ROWS, STATE_NAMES } from '../src/index.js';
import { DEFAULT_LIMITS, Eviction, partitionOf, tupleHashOf } from '../src/tcp/index.js';
// @ts-expect-error: a plain ES module script with no type declarations
import { writeSynFlood } from '../captures/make/make-syn-million.mjs';
import { analyzeSegs, buildPcap, conns, type Seg } from './helpers/build.js';
import { runCli } from './helpers/cli.js';
import { peaks, SecondCounts } from '../src/detect/seconds.js';
import { Lowest } from '../src/lowest.js';

const states = (c: { client: { state: number }; server: { state: number } }) => [STATE_NAMES[c.client.state], STATE_NAMES[c.server.state]];

/** A handshake on client port `cport` at time t, then the client's FIN acknowledged: FIN_WAIT_2 / CLOSE_WAIT. */
function leak(t: number, cport: number): Seg[] {
  return [
    { t, from: 'c', flags: 'S', seq: 100, cport },
    { t: t + 0.001, from: 's', flags: 'S.', seq: 500, ack: 101, cport },
    { t: t + 0.002, from: 'c', flags: '.', seq: 101, ack: 501, cport },
    { t: t + 0.003, from: 'c', flags: 'F.', seq: 101, ack: 501, cport },
    { t: t + 0.004, from: 's', flags: '.', seq: 501, ack: 102, cport },
  ];
}

const syn = (t: number, cport: number): Seg => ({ t, from: 'c', flags: 'S', seq: cport, cport });

/** `n` client ports (to the builder's server, 10.0.0.2:80, from 10.0.0.1) whose four-tuples fall in partition `k` of `partitions`. */
function samePartition(n: number, partitions: number, k?: number): number[] {
  const out: number[] = [];
  let want = k;
  for (let port = 1; out.length < n; port++) {
    const p = partitionOf(tupleHashOf(0x0a000001, 0, 0, 0, port, 0x0a000002, 0, 0, 0, 80), partitions);
    want ??= p;
    if (p === want) out.push(port);
  }
  return out;
}

describe('idle eviction', () => {
  it('evicts a connection quiet for the idle timeout, with its last states, as of the moment the timeout ran out', async () => {
    const r = await analyzeSegs([...leak(0, 1000), syn(50, 2000)], { idleTimeout: 20 });
    const [a, b] = conns(r);
    expect(states(a!)).toEqual(['FIN_WAIT_2', 'CLOSE_WAIT']);
    expect(a!.evicted).toBe(Eviction.Idle);
    expect(b!.evicted).toBe(Eviction.None);
    expect(r.summary.limits).toMatchObject({ idleTimeout: 20, evictedIdle: 1, evictedFull: 0, peakLive: 1, summarised: 0 });
    // The leak is still found: CLOSE_WAIT held from 0.004 s until the timeout ran out at 20.004 s.
    const f = r.findings.find((x) => x.kind === 'close_wait_leak');
    expect(f?.connections).toEqual([1]);
    expect(f?.summary).toMatch(/20 s/);
  });

  it('does not evict before the timeout, nor at the end of the capture', async () => {
    const r = await analyzeSegs([...leak(0, 1000), syn(19.9, 2000)], { idleTimeout: 20 });
    expect(conns(r).map((c) => c.evicted)).toEqual([Eviction.None, Eviction.None]);
    expect(r.summary.limits.evictedIdle).toBe(0);
  });

  it('a packet after the eviction starts a connection of its own, inferred mid-stream', async () => {
    const late: Seg = { t: 30, from: 's', flags: 'F.', seq: 501, ack: 102, cport: 1000 };
    const r = await analyzeSegs([...leak(0, 1000), late], { idleTimeout: 20 });
    const [a, b] = conns(r);
    expect(a!.evicted).toBe(Eviction.Idle);
    expect(b!.stateInferred).toBe(true);
    expect(r.summary.connections).toBe(2);
  });

  it('0 turns it off', async () => {
    const r = await analyzeSegs([...leak(0, 1000), syn(1e6, 2000)], { idleTimeout: 0 });
    expect(conns(r)[0]!.evicted).toBe(Eviction.None);
    expect(r.summary.limits.idleTimeout).toBeNull();
  });
});

describe('--max-connections', () => {
  it('evicts the least recently active connection of its partition when that partition is full', async () => {
    // 48 connections: 16 partitions of 3. Five client ports whose tuples fall in one partition: three
    // fill it; the first is active again before the fourth and fifth arrive, so the second and third go.
    const ports = samePartition(5, 16);
    const segs = [syn(0, ports[0]!), syn(0.1, ports[1]!), syn(0.2, ports[2]!), syn(1, ports[0]!), syn(1.1, ports[3]!), syn(1.2, ports[4]!)];
    const r = await analyzeSegs(segs, { maxConnections: 48, maxRows: 3, keep: 'all' });
    expect(r.summary.limits).toMatchObject({ maxConnections: 48, peakLive: 3, evictedFull: 2, evictedIdle: 0, maxRows: 3, summarised: 2 });
    expect(r.summary.connections).toBe(5);
    // Rows for the first three only; every connection in the counts.
    const rows = conns(r);
    expect(rows.map((c) => [c.id, c.evicted])).toEqual([[1, Eviction.None], [2, Eviction.Full], [3, Eviction.Full]]);
    expect(r.matrix.flat().reduce((a, b) => a + b, 0)).toBe(5);
    expect(r.notable.every((c) => c.id <= 3)).toBe(true);
    // Other partitions are not touched: the same SYNs on ports of other partitions evict nothing.
    const spread = Array.from({ length: 16 }, (_, k) => samePartition(1, 16, k)[0]!);
    const r2 = await analyzeSegs(spread.map((port, k) => syn(k * 0.1, port)), { maxConnections: 16 });
    expect(r2.summary.limits).toMatchObject({ peakLive: 16, evictedFull: 0 });
  });

  it('the report says what the limits did, in every format', async () => {
    const segs = [syn(0, 1), syn(0.1, 2), syn(0.2, 3)];
    const r = await analyzeSegs(segs, { maxConnections: 2, maxRows: 2, keep: 'all' });
    const { renderText, renderJson, renderMarkdown, renderHtml } = await import('../src/report/index.js');
    const text = [...renderText(r, {})].join('');
    expect(text).toContain('Limits       1 connection evicted while still open, the least recently active when the table was full (--max-connections 2); ' +
      'their last states count as their end states; 1 connection after the first 2 summarised (--max-rows)');
    const json = JSON.parse([...renderJson(r)].join(''));
    expect(json.summary.limits).toEqual({ maxConnections: 2, idleTimeout: DEFAULT_LIMITS.idleTimeout, peakLive: 2, evictedIdle: 0, evictedFull: 1, maxRows: 2, summarised: 1 });
    expect(json.connections.map((c: { id: number; evicted?: string }) => [c.id, c.evicted ?? null])).toEqual([[1, 'full'], [2, null]]);
    expect([...renderMarkdown(r)].join('')).toContain('| Limits | 1 connection evicted');
    expect([...renderHtml(r)].join('')).toContain('1 connection evicted while still open');
  });

  it('says nothing when the limits did nothing', async () => {
    const r = await analyzeSegs(leak(0, 1000));
    const { renderText } = await import('../src/report/index.js');
    expect([...renderText(r, {})].join('')).not.toContain('Limits');
    expect(r.summary.limits).toEqual({ ...DEFAULT_LIMITS, peakLive: 1, evictedIdle: 0, evictedFull: 0, maxRows: DEFAULT_MAX_ROWS, summarised: 0 });
  });

  it('print and show, given the same bounds, number connections as analyze does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcpstate-ids-'));
    try {
      const file = join(dir, 'evict.pcap');
      // Connection 1 is evicted by 3; its SYN,ACK retransmitted later opens connection 4 (and evicts 2).
      writeFileSync(file, buildPcap([syn(0, 1), syn(0.1, 2), syn(0.2, 3), { t: 1, from: 's', flags: 'S.', seq: 9, ack: 2, cport: 1 }]));
      const bounds = ['--max-connections', '2'];
      const json = JSON.parse((await runCli(['analyze', '-f', 'json', ...bounds, file])).out);
      expect(json.connections.map((c: { id: number; client: { port: number }; evicted?: string }) => [c.id, c.client.port, c.evicted ?? null]))
        .toEqual([[1, 1, 'full'], [2, 2, 'full'], [3, 3, null], [4, 1, null]]);
      const printed = (await runCli(['print', '--conn', '4', ...bounds, file])).out;
      expect(printed.trim().split('\n')).toHaveLength(1);
      expect(printed).toContain('10.0.0.2.80 > 10.0.0.1.1: Flags [S.]');
      const shown = await runCli(['show', '--conn', '4', ...bounds, file]);
      expect(shown.code).toBe(0);
      expect(shown.out).toContain('10.0.0.1:1');
      // Without the bounds, there is no connection 4.
      expect((await runCli(['show', '--conn', '4', file])).code).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a bound that is not a whole number of at least 1', async () => {
    await expect(analyzeSegs([syn(0, 1)], { maxConnections: 0 })).rejects.toThrow(/maxConnections/);
    await expect(analyzeSegs([syn(0, 1)], { maxConnections: 1.5 })).rejects.toThrow(/maxConnections/);
    await expect(analyzeSegs([syn(0, 1)], { idleTimeout: -1 })).rejects.toThrow(/idleTimeout/);
    await expect(analyzeSegs([syn(0, 1)], { maxRows: 0 })).rejects.toThrow(/maxRows/);
  });
});

describe('Lowest: the first N by rank, in bounded memory', () => {
  it('keeps the N lowest, equal ranks in the order they came, and refuses what can no longer make it', () => {
    const kept = new Lowest<{ rank: number; seq: number }>(3, (x) => x.rank);
    let refused = 0;
    let most = 0;
    for (let seq = 0; seq < 1000; seq++) {
      const rank = (seq * 7919) % 101;
      if (kept.admits(rank)) kept.add({ rank, seq });
      else refused++;
      most = Math.max(most, (kept as unknown as { items: unknown[] }).items.length);
    }
    expect(kept.sorted()).toEqual([{ rank: 0, seq: 0 }, { rank: 0, seq: 101 }, { rank: 0, seq: 202 }]);
    expect(refused).toBeGreaterThan(900);
    expect(most).toBeLessThanOrEqual(6);
  });
});

describe('a generated SYN flood', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tcpstate-flood-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps exact SYN counts in a table far smaller than the flood', async () => {
    const file = join(dir, 'flood-20k.pcap');
    writeSynFlood(file, { syns: 20000, seconds: 2 });
    const full = await analyze([file], { maxConnections: 1_000_000 });
    const small = await analyze([file], { maxConnections: 500 });
    const flood = (r: typeof full) => r.findings.find((f) => f.kind === 'syn_flood')!;
    expect(full.summary.limits.evictedFull).toBe(0);
    expect(small.summary.limits.evictedFull).toBeGreaterThan(19000);
    // 20,000 spoofed SYNs and 20 real clients' 3 SYNs each, with or without eviction.
    expect(flood(full).counts.syns).toBe(20060);
    expect(flood(small).counts.syns).toBe(20060);
    expect(flood(small).severity).toBe(flood(full).severity);
    expect(flood(small).endpoint).toBe('192.0.2.80:443');
    expect(flood(small).counts.sources).toBe(flood(full).counts.sources);
    expect(flood(full).counts.sources).toBe(20020);
    expect(small.summary.packets).toBe(full.summary.packets);
    expect(small.timeline).toEqual(full.timeline);
  });

  it('timestamps spread over decades: per-second counts merge into wider buckets, totals stay exact', async () => {
    const file = join(dir, 'spread.pcap');
    writeSynFlood(file, { syns: 200_000, seconds: 1e9 });
    const r = await analyze([file], { keep: 'notable' });
    expect(r.timeline.length).toBeLessThanOrEqual(131072);
    expect(r.timeline.length).toBeGreaterThan(65536);
    const syns = r.timeline.reduce((n, [, syn]) => n + syn, 0);
    expect(syns).toBe(200_000 + 50 + 20 * 3);
    const counts = new SecondCounts(1000);
    for (let s = 0; s < 100_000; s++) counts.add(1_700_000_000 + s * 7, 3);
    expect(counts.buckets().size).toBeLessThanOrEqual(1000);
    expect([...counts.buckets().values()].reduce((a, b) => a + b, 0)).toBe(300_000);
    // 3 every 7 s: averaged over the merged buckets, the rate is what it was.
    expect(peaks(counts, 7).second).toBeCloseTo(3 / 7, 1);
  }, 60_000);

  it('estimates the sources of a flood past the exact count', async () => {
    const file = join(dir, 'flood-150k.pcap');
    writeSynFlood(file, { syns: 150000, seconds: 3 });
    const r = await analyze([file], { keep: 'notable' });
    const f = r.findings.find((x) => x.kind === 'syn_flood')!;
    expect(f.counts.sourcesEstimated).toBe(true);
    // 150,020 distinct sources; the sketch's standard error is 0.8%: 3% is almost four of them.
    expect(Math.abs((f.counts.sources as number) / 150020 - 1)).toBeLessThan(0.03);
    expect(f.summary).toMatch(/from about [\d,]+ sources \(estimated\)/);
  });

  interface ChildResult { maxRSS: number; jsonBytes: number; rows: number; summary: any; findings: { kind: string; severity: string; endpoint: string; counts: any }[] }

  /**
   * Analyses `file` with the default options and renders the JSON report (counted, not kept) in a
   * process of its own, so that its peak RSS is the analysis's and no one else's.
   */
  function analyzeInChild(file: string): ChildResult {
    const script = `const { analyze, renderJson } = await import(${JSON.stringify(new URL('../dist/src/index.js', import.meta.url).href)});
      const report = await analyze([${JSON.stringify(file)}]);
      let jsonBytes = 0;
      for (const chunk of renderJson(report)) jsonBytes += chunk.length;
      let rows = 0;
      for (const c of report.connections()) rows++;
      const findings = report.findings.map((f) => ({ kind: f.kind, severity: f.severity, endpoint: f.endpoint, counts: f.counts }));
      process.stdout.write(JSON.stringify({ maxRSS: process.resourceUsage().maxRSS, jsonBytes, rows, summary: report.summary, findings }));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000, maxBuffer: 1 << 24 });
    expect(run.status, run.stderr).toBe(0);
    return JSON.parse(run.stdout) as ChildResult;
  }

  it('a million SYNs from distinct sources: reported, in under 512 MiB of RSS', () => {
    const file = join(dir, 'flood-1m.pcap');
    const made = writeSynFlood(file, { syns: 1_000_000 });
    expect(made.packets).toBe(1_001_072);
    const r = analyzeInChild(file);
    console.log(`million-SYN flood: peak RSS ${(r.maxRSS / 1024).toFixed(0)} MiB, JSON ${(r.jsonBytes / 1e6).toFixed(0)} MB`);
    expect(r.maxRSS).toBeLessThan(512 * 1024);
    const flood = r.findings.find((f) => f.kind === 'syn_flood')!;
    expect(flood).toMatchObject({ severity: 'critical', endpoint: '192.0.2.80:443' });
    expect(flood.counts.syns).toBe(1_000_060);
    expect(flood.counts.spoofed).toBe(true);
    expect(Math.abs(flood.counts.sources / 1_000_020 - 1)).toBeLessThan(0.03);
    expect(r.summary.packets).toBe(1_001_072);
    const l = r.summary.limits;
    expect(l).toMatchObject({ maxConnections: DEFAULT_LIMITS.maxConnections, peakLive: DEFAULT_LIMITS.maxConnections, maxRows: DEFAULT_MAX_ROWS });
    expect(l.evictedFull).toBe(r.summary.connections - DEFAULT_LIMITS.maxConnections);
    expect(l.summarised).toBe(r.summary.connections - DEFAULT_MAX_ROWS);
    expect(r.rows).toBe(DEFAULT_MAX_ROWS);
  }, 180_000);

  it('a million SYNs from one scanner to distinct addresses: the scan, in under 512 MiB of RSS', () => {
    const file = join(dir, 'scan-1m.pcap');
    writeSynFlood(file, { syns: 1_000_000, scan: true });
    const r = analyzeInChild(file);
    console.log(`million-address sweep: peak RSS ${(r.maxRSS / 1024).toFixed(0)} MiB`);
    expect(r.maxRSS).toBeLessThan(512 * 1024);
    // Past MAX_ENDPOINTS the targets share one aggregate; the sweep is one port_scan, not a flood.
    expect(r.findings.map((f) => [f.kind, f.endpoint])).toEqual([['port_scan', '203.0.113.7']]);
    expect(r.findings[0]!.counts).toMatchObject({ connections: 1_000_000, failed: 1_000_000 });
  }, 180_000);
});
