import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, FINDING_KINDS, renderJson, STATE_NAMES } from '../src/index.js';

const CAP = join(import.meta.dirname, '..', 'captures');
const ISO = { us: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, ns: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/ };

async function json(file: string, transitions = false) {
  const r = await analyze([join(CAP, file)], { transitions });
  return JSON.parse([...renderJson(r)].join(''));
}

describe('JSON report contract tcpstate.report/1', () => {
  for (const file of readdirSync(CAP).filter((f) => /\.(pcap|pcapng|gz)$/.test(f))) {
    it(file, async () => {
      const doc = await json(file, true);
      expect(doc.schema).toBe('tcpstate.report/1');
      expect(doc.tool).toEqual({ name: 'tcpstate', version: '0.1.0' });
      const iso = doc.inputs[0].precision === 'ns' ? ISO.ns : ISO.us;
      expect(doc.inputs).toEqual([expect.objectContaining({ file: join(CAP, file), format: expect.stringMatching(/^pcap(ng)?$/),
        precision: expect.stringMatching(/^(us|ns)$/), linkTypes: expect.any(Array), packets: expect.any(Number) })]);
      const s = doc.summary;
      expect(s).toMatchObject({ packets: expect.any(Number), tcpPackets: expect.any(Number), connections: doc.connections.length });
      expect(s.firstTs).toMatch(iso);
      expect(s.lastTs).toMatch(iso);
      expect(typeof s.notDecoded).toBe('object');
      expect(s.text).toMatch(/^From \d\d:\d\d:\d\d to \d\d:\d\d:\d\d UTC on \d{4}-\d\d-\d\d \(.* s\): .* TCP connections? .*\.$/);
      if (doc.findings.length) expect(s.text).toContain(doc.findings[0].summary);
      const ids = new Set(doc.connections.map((c: any) => c.id));
      for (const f of doc.findings) {
        expect(Object.keys(f)).toEqual(['kind', 'severity', 'summary', 'endpoint', 'connections', 'first', 'last', 'counts', 'guidance', 'evidence']);
        expect(Object.keys(f.guidance)).toEqual(['causes', 'check']);
        expect(f.guidance.causes.length).toBeGreaterThan(0);
        expect(f.guidance.check.length).toBeGreaterThan(0);
        for (const line of [...f.guidance.causes, ...f.guidance.check]) expect(line).toMatch(/^\S.*[.)]$/);
        expect(FINDING_KINDS).toContain(f.kind);
        expect(['critical', 'warning', 'info']).toContain(f.severity);
        expect(f.summary).toMatch(/^[A-Z0-9[].*\.$/);
        expect(f.connections.length).toBeGreaterThan(0);
        for (const id of f.connections) expect(ids.has(id)).toBe(true);
        expect(f.counts.connections).toBeGreaterThanOrEqual(f.connections.length);
        expect(f.first).toMatch(iso);
        expect(f.last).toMatch(iso);
        expect(f.evidence.length).toBeGreaterThan(0);
        expect(f.evidence.length).toBeLessThanOrEqual(10);
        for (const e of f.evidence) {
          expect(Object.keys(e)).toEqual(e.lost ? ['packet', 'ts', 'line', 'lost'] : ['packet', 'ts', 'line']);
          expect(e.ts).toMatch(iso);
          expect(e.line).toMatch(/^\d\d:\d\d:\d\d\.\d+ .*IP6? .* > .*: Flags \[[^\]]+\].*length \d+.*  client \S+  server \S+(  lost before (client|server) \(shown by packet \d+\))?$/);
          if (e.lost) {
            expect(['client', 'server']).toContain(e.lost.before);
            expect(e.lost.provedBy).toBeGreaterThan(e.packet);
            expect(e.line.endsWith(`lost before ${e.lost.before} (shown by packet ${e.lost.provedBy})`)).toBe(true);
          }
        }
      }
      const order = doc.findings.map((f: any) => ['critical', 'warning', 'info'].indexOf(f.severity));
      expect(order).toEqual([...order].sort());
      doc.connections.forEach((c: any, i: number) => {
        expect(c.id).toBe(i + 1);
        for (const side of [c.client, c.server]) {
          // Where the capture cannot tell the state, the others it may be and why, right after it.
          const uncertain = 'possibleStates' in side ? ['possibleStates', 'why'] : [];
          if (uncertain.length) {
            expect(side.possibleStates[0]).toBe(side.state);
            expect(side.possibleStates.length).toBeGreaterThan(1);
            for (const s of side.possibleStates) expect(STATE_NAMES).toContain(s);
            expect(side.why).toMatch(/\b(client|server)\b.*\.$/);
          }
          // A server that never answered this connection's SYN with a SYN,ACK: whether the port was seen listening (a fact, not a state).
          const listener = 'listenerSeen' in side ? ['listenerSeen'] : [];
          if (listener.length) {
            expect(side).toBe(c.server);
            expect(typeof side.listenerSeen).toBe('boolean');
          }
          const keys = ['addr', 'port', 'state', ...uncertain, ...listener, 'packets', 'payloadBytes', 'wireBytes'];
          // Wireshark's analysis counts appear for an endpoint with anything flagged, and only then.
          if ('analysis' in side) {
            expect(Object.keys(side)).toEqual([...keys, 'analysis']);
            expect(Object.keys(side.analysis)).toEqual(['retransmissions', 'outOfOrder', 'duplicateAcks', 'zeroWindows', 'keepAlives', 'ackedUnseen', 'lostSegments']);
            expect(Object.values(side.analysis).some((v) => v !== 0)).toBe(true);
          } else {
            expect(Object.keys(side)).toEqual(keys);
          }
          expect(STATE_NAMES).toContain(side.state);
          expect(side.addr).toMatch(/^(\d+\.\d+\.\d+\.\d+|[0-9a-f:.]+)$/);
        }
        expect(typeof c.roleInferred).toBe('boolean');
        if ('capturePoint' in c) expect(['client', 'server', 'between']).toContain(c.capturePoint);
        // Segments shown lost: each a packet of this connection, with the side it never reached and the later packet that showed it.
        for (const l of c.lost ?? []) {
          expect(Object.keys(l)).toEqual(['packet', 'lost']);
          expect(l.packet).toBeGreaterThanOrEqual(c.firstPacket);
          expect(l.packet).toBeLessThanOrEqual(c.lastPacket);
          expect(['client', 'server']).toContain(l.lost.before);
          expect(l.lost.provedBy).toBeGreaterThan(l.packet);
        }
        expect(c.firstPacket).toBeLessThanOrEqual(c.lastPacket);
        expect(c.start).toMatch(iso);
        expect(c.end).toMatch(iso);
        expect(c.transitions.length).toBeGreaterThan(0);
        let last = c.transitions[0];
        for (const t of c.transitions) {
          expect(Object.keys(t)).toEqual(['packet', 'ts', 'side', 'from', 'to', 'event']);
          expect(['client', 'server']).toContain(t.side);
          expect(STATE_NAMES).toContain(t.from);
          expect(STATE_NAMES).toContain(t.to);
          expect(t.ts >= last.ts).toBe(true);
          last = t;
        }
        // The last transition of each side lands on the state reported for it.
        for (const side of ['client', 'server'] as const) {
          const mine = c.transitions.filter((t: any) => t.side === side);
          if (mine.length) expect(mine.at(-1).to).toBe(c[side].state);
        }
      });
    });
  }

  it('leaves transitions out unless asked', async () => {
    const doc = await json('refused.pcap');
    expect(doc.connections[0].transitions).toBeUndefined();
  });

  it('writes IPv6 addresses in RFC 5952 form', async () => {
    const doc = await json('ipv6.pcap');
    expect(doc.connections[0].client.addr).toBe('fd77::1');
    expect(doc.connections[0].server.addr).toBe('fd77::2');
  });

  it('is byte-identical for the same input', async () => {
    const a = [...renderJson(await analyze([join(CAP, 'final-ack-dropped.pcap')], { transitions: true }))].join('');
    const b = [...renderJson(await analyze([join(CAP, 'final-ack-dropped.pcap')], { transitions: true }))].join('');
    expect(a).toBe(b);
  });
});
