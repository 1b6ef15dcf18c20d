import { describe, expect, it } from 'vitest';
import { STATE_NAMES } from '../src/index.js';
import { Connection, Endpoint, TcpState } from '../src/tcp/index.js';
import { analyzeSegs, conns, type Seg } from './helpers/build.js';

/** Every own field, with nested endpoints, as plain data. */
function fields(o: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v instanceof Endpoint) out[k] = fields(v);
    else if (k !== 'transitions') out[k] = v;
  }
  return out;
}

describe('reused connection objects', () => {
  it('reset() leaves an endpoint exactly as a new one', () => {
    const e = new Endpoint(1, TcpState.ESTABLISHED);
    for (const k of Object.keys(e) as (keyof Endpoint)[]) if (k !== 'side' && typeof e[k] === 'number') (e as any)[k] = 12345;
    e.finSent = true;
    e.reset(TcpState.LISTEN);
    expect(fields(e)).toEqual(fields(new Endpoint(1, TcpState.LISTEN)));
  });

  it('reset() leaves a connection exactly as a new one', () => {
    const c = new Connection(7, 6);
    // Its slot stays: the object belongs to that slot of the table for good.
    for (const k of Object.keys(c) as (keyof Connection)[]) if (k !== 'slot' && typeof c[k] === 'number') (c as any)[k] = 999;
    for (const k of ['roleInferred', 'stateInferred', 'lingering', 'finalized'] as const) c[k] = true;
    c.lruNext = new Connection(8, 4);
    c.client.packets = 5;
    c.reset(9, 4);
    expect(fields(c)).toEqual(fields(new Connection(9, 4)));
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
    expect({ ...reused.client }).toEqual({ ...alone.client });
  });

  it('tracks thousands of simultaneous connections (the table grows its buckets)', async () => {
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
    const { ZConn, ZEndpoint } = await import('../src/zeek/conn.js');
    const used = new ZConn(new ZEndpoint(true, 1), new ZEndpoint(false, 2));
    for (const o of [used, used.orig, used.resp] as Record<string, unknown>[]) {
      for (const k of Object.keys(o)) {
        if (typeof o[k] === 'number') o[k] = 12345;
        else if (typeof o[k] === 'boolean') o[k] = !o[k];
        else if (typeof o[k] === 'string') o[k] = 'ShAdDaFf';
      }
    }
    used.next = used;
    used.older = used;
    used.newer = used;
    used.flip();
    used.reset(40000, 80);
    const plain = (c: InstanceType<typeof ZConn>) => ({ ...c, orig: { ...c.orig }, resp: { ...c.resp } });
    expect(plain(used)).toEqual(plain(new ZConn(new ZEndpoint(true, 40000), new ZEndpoint(false, 80))));
  });
});
