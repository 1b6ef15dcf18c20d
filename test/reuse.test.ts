import { describe, expect, it } from 'vitest';
import { STATE_NAMES } from '../src/index.js';
import { DecodedPacket, decodePacket } from '../src/decode/index.js';
import { Connection, ConnectionTable, tupleHash } from '../src/tcp/index.js';
import { EVIDENCE_SLOTS } from '../src/tcp/connection.js';
import { analyzeSegs, conns, frame, type Seg } from './helpers/build.js';

/** Every value a view shows (its getters), with nested endpoints, as plain data. */
function shown(o: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, d] of Object.entries(Object.getOwnPropertyDescriptors(Object.getPrototypeOf(o)))) {
    if (d.get && k !== 'floats') out[k] = (o as Record<string, unknown>)[k];
  }
  for (const k of ['client', 'server'] as const) if (o instanceof Connection) out[k] = shown(o[k]);
  if (o instanceof Connection) for (let s = 0; s < EVIDENCE_SLOTS; s++) out[`evidence${s}`] = o.evidenceAt(s);
  return out;
}

/** A table fed `segs` one by one; returns the view of the connection the last one went to. */
function feed(table: ConnectionTable, segs: Seg[], first = 1): Connection {
  const p = new DecodedPacket();
  segs.forEach((seg, k) => {
    const b = frame(seg);
    expect(decodePacket(b, 0, b.length, b.length, 1, p)).toBe(true);
    const sec = Math.floor(seg.t);
    const nsec = Math.round((seg.t - sec) * 1e9);
    table.runTimers(sec + nsec * 1e-9);
    table.segment(p, tupleHash(p), first + k, sec, nsec, sec + nsec * 1e-9);
  });
  return table.current!;
}

describe('reused connection slots', () => {
  it('a slot given to a new connection shows exactly what a fresh slot shows', () => {
    const syn: Seg = { t: 1000, from: 'c', flags: 'S', seq: 77, cport: 41000 };
    const fresh = shown(feed(new ConnectionTable(1, { finished() {} }), [syn]));
    // A connection that sets almost everything: handshake, data both ways, retransmissions, a reset.
    const table = new ConnectionTable(1, { finished() {} });
    const messy = feed(table, [
      { t: 0, from: 'c', flags: 'S', seq: 1, options: [2, 4, 5, 180, 3, 3, 7, 1] },
      { t: 0.1, from: 's', flags: 'S.', seq: 100, ack: 2, options: [2, 4, 5, 180, 3, 3, 7, 1] },
      { t: 0.2, from: 'c', flags: 'P.', seq: 2, ack: 101, len: 10 },
      { t: 0.3, from: 'c', flags: 'P.', seq: 2, ack: 101, len: 10 },
      { t: 0.4, from: 's', flags: 'F.', seq: 101, ack: 12, win: 0 },
      { t: 0.5, from: 'c', flags: 'R.', seq: 12, ack: 102 },
    ]);
    expect(messy.slot).toBe(0);
    // Both sides closed: it lingers 2MSL (2 s here), then its slot is free; the SYN at t=1000 takes it.
    const reused = feed(table, [syn], 10);
    expect(reused.slot).toBe(0);
    expect(reused).toBe(messy);
    const now = shown(reused);
    // The ids and packet numbers differ by construction; everything else is as fresh.
    expect({ ...now, id: 1, firstPacket: 1, lastPacket: 1 }).toEqual(fresh);
  });

  it('a connection on a reused object reads the same as one on a new object', async () => {
    const second = (t: number, port: number): Seg[] => [
      { t, from: 'c', flags: 'S', seq: 10 + port },
      { t: t + 0.01, from: 's', flags: 'S.', seq: 900, ack: 11 + port },
      { t: t + 0.02, from: 'c', flags: 'F.', seq: 11 + port, ack: 901 },
    ];
    // A refused attempt fully closes, lingers 2MSL (here 2 s) and frees its object for the next connection.
    const refused: Seg[] = [{ t: 0, from: 'c', flags: 'S', seq: 1 }, { t: 0.01, from: 's', flags: 'R.', seq: 0, ack: 2 }];
    const alone = conns(await analyzeSegs(second(100, 0), { msl: 1 }))[0]!;
    const after = conns(await analyzeSegs([...refused, ...second(100, 0)], { msl: 1 }));
    expect(after).toHaveLength(2);
    const reused = after[1]!;
    // The same transitions, two packets later.
    const shifted = Array.from(alone.transitions!, (v, i) => (i % 4 === 0 ? v + 2 : v));
    expect(Array.from(reused.transitions!)).toEqual(shifted);
    expect([STATE_NAMES[reused.client.state], STATE_NAMES[reused.server.state]]).toEqual(['FIN_WAIT_1', 'CLOSE_WAIT']);
    expect(reused.client).toEqual(alone.client);
  });

  it('tracks thousands of simultaneous connections (the table grows its rows and index)', async () => {
    const segs: Seg[] = [];
    for (let i = 0; i < 5000; i++) segs.push({ t: i * 1e-4, from: 'c', flags: 'S', seq: i, cport: 10000 + i });
    for (let i = 0; i < 5000; i++) segs.push({ t: 1 + i * 1e-4, from: 's', flags: 'S.', seq: 7, ack: i + 1, cport: 10000 + i });
    const cs = conns(await analyzeSegs(segs));
    expect(cs).toHaveLength(5000);
    expect(cs.every((c) => STATE_NAMES[c.client.state] === 'ESTABLISHED' && STATE_NAMES[c.server.state] === 'SYN_RCVD')).toBe(true);
    expect(cs.map((c) => c.client.port)).toEqual(Array.from({ length: 5000 }, (_, i) => 10000 + i));
  });
});

describe('reused Zeek-model connection objects', () => {
  it('reset() leaves a Zeek connection and its endpoints exactly as new ones', async () => {
    const { ZConn, ZEndpoint } = await import('../src/zeek/index.js');
    const used = new ZConn(new ZEndpoint(true, 1), new ZEndpoint(false, 2));
    for (const o of [used, used.orig, used.resp] as unknown as Record<string, unknown>[]) {
      for (const k of Object.keys(o)) {
        if (typeof o[k] === 'number') o[k] = 12345;
        else if (typeof o[k] === 'boolean') o[k] = !o[k];
        else if (typeof o[k] === 'string') o[k] = 'ShAdDaFf';
      }
    }
    used.next = used;
    used.flip();
    used.reset(40000, 80);
    // Its slot is which pooled object it is, not a state: kept through reset().
    const plain = (c: InstanceType<typeof ZConn>) => ({ ...c, slot: 0, orig: { ...c.orig }, resp: { ...c.resp } });
    expect(plain(used)).toEqual(plain(new ZConn(new ZEndpoint(true, 40000), new ZEndpoint(false, 80))));
  });
});
