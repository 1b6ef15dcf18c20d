import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../src/index.js';
import { renderJson, renderText } from '../src/report/index.js';
import { endpointToString } from '../src/report/format.js';
import { conns } from './helpers/build.js';
import { ROOT } from './golden/cases.js';

const report = (name: string) => analyze([join(ROOT, 'captures', name)]);
const text = (gen: Iterable<string>) => [...gen].join('');

describe('connections by server endpoint (analyze --by-server)', () => {
  it('mixed.pcap: the refusing port first, then the busy one with its leaks and aborts; the counts are the connections\'', async () => {
    const r = await report('mixed.pcap');
    const rows = r.servers.rows;
    expect(rows.map((s) => endpointToString(s.family, s))).toEqual(['10.77.0.2:8081', '10.77.0.2:8080', '10.77.0.2:8082']);
    const [refused, busy, filtered] = rows;
    expect(refused!.handshakes).toEqual({ attempted: 4, completed: 0 });
    expect(refused!.resets).toEqual({ client: 0, server: 4 });
    expect(filtered!.handshakes).toEqual({ attempted: 2, completed: 0 });
    // Every connection of the capture is in one row, with its end states.
    const all = conns(r);
    expect(rows.reduce((n, s) => n + s.connections, 0)).toBe(all.length);
    const to8080 = all.filter((c) => c.server.port === 8080);
    expect(busy!.connections).toBe(to8080.length);
    expect(busy!.abnormal).toBe(to8080.filter((c) => !c.normalEnd).length);
    expect(busy!.packets).toBe(to8080.reduce((n, c) => n + c.client.packets + c.server.packets, 0));
    expect(busy!.endStates.reduce((n, e) => n + e.count, 0)).toBe(to8080.length);
    expect(busy!.handshakeRtt.samples).toBe(to8080.filter((c) => c.timing.handshakeRtt !== null).length);
  });

  it('delayed.pcap: the percentiles are within 9% of the connections\' own round trips and first bytes', async () => {
    const r = await report('delayed.pcap');
    const [s] = r.servers.rows;
    const cs = conns(r);
    const max = (xs: number[]) => Math.max(...xs);
    const min = (xs: number[]) => Math.min(...xs);
    const hs = cs.map((c) => c.timing.handshakeRtt!);
    const fb = cs.map((c) => c.timing.firstByte!);
    for (const [p, xs] of [[s!.handshakeRtt.p50!, hs], [s!.handshakeRtt.p99!, hs], [s!.firstByte.p50!, fb], [s!.firstByte.p99!, fb]] as const) {
      expect(p).toBeGreaterThan(min(xs) * 0.91);
      expect(p).toBeLessThan(max(xs) * 1.09);
    }
    expect(s!.handshakes).toEqual({ attempted: 3, completed: 3 });
  });

  it('every format has the section; text lists the worst 5 unless --by-server', async () => {
    const r = await report('mixed.pcap');
    const doc = JSON.parse(text(renderJson(r))) as { servers: { endpoint: string; connections: number }[]; serversOmitted: { servers: number } };
    expect(doc.servers.map((s) => s.endpoint)).toEqual(['10.77.0.2:8081', '10.77.0.2:8080', '10.77.0.2:8082']);
    expect(doc.serversOmitted.servers).toBe(0);
    expect(text(renderText(r))).toMatch(/^Servers \(3 endpoints, those with the most problems first\)\n {2}SERVER/m);
    // Nine server endpoints: the text report shows the worst 5, --by-server all of them, in the same order.
    const many = await analyze([join(ROOT, 'captures', 'zeek', 'ssh.pcap')]);
    expect(many.servers.rows).toHaveLength(9);
    const rowsOf = (t: string) => t.split('\n').filter((l) => /^ {2}[0-9a-f.:[\]]+:\d+ /.test(l));
    const short = text(renderText(many));
    const long = text(renderText(many, { byServer: true }));
    expect(short).toMatch(/^Servers \(9 endpoints, those with the most problems first; the worst 5 of them, --by-server lists every one\)$/m);
    expect(rowsOf(short)).toEqual(rowsOf(long).slice(0, 5));
    expect(rowsOf(long)).toHaveLength(9);
  });
});
