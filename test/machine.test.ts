import { describe, expect, it } from 'vitest';
import { EVENT_NAMES, STATE_NAMES } from '../src/index.js';
import { type ConnectionRecord, TRANSITION_FIELDS, transitionEvent, transitionFrom, transitionSide, transitionTo } from '../src/tcp/index.js';
import { analyzeSegs, conns, type Seg } from './helpers/build.js';

const ISN_C = 1000;
const ISN_S = 5000;

/** Client SYN, server SYN,ACK, client ACK: both ESTABLISHED; client next seq 1001, server 5001. */
const HANDSHAKE: Seg[] = [
  { t: 0, from: 'c', flags: 'S', seq: ISN_C },
  { t: 0.01, from: 's', flags: 'S.', seq: ISN_S, ack: ISN_C + 1 },
  { t: 0.02, from: 'c', flags: '.', seq: ISN_C + 1, ack: ISN_S + 1 },
];

function ends(c: ConnectionRecord): [string, string] {
  return [STATE_NAMES[c.client.state]!, STATE_NAMES[c.server.state]!];
}

/** Each transition as `packet side FROM>TO event`. */
function trail(c: ConnectionRecord): string[] {
  const t = c.transitions!;
  const out: string[] = [];
  for (let i = 0; i < t.length; i += TRANSITION_FIELDS) {
    const k = t[i + 3]!;
    out.push(`${t[i]} ${transitionSide(k) === 0 ? 'client' : 'server'} ${STATE_NAMES[transitionFrom(k)]}>${STATE_NAMES[transitionTo(k)]} ${EVENT_NAMES[transitionEvent(k)]}`);
  }
  return out;
}

async function one(segs: Seg[], msl?: number): Promise<ConnectionRecord> {
  const r = await analyzeSegs(segs, msl === undefined ? {} : { msl });
  const cs = conns(r);
  expect(cs).toHaveLength(1);
  return cs[0]!;
}

describe('handshake', () => {
  it('closed_send_syn, listen_send_syn_ack, syn_sent_rcv_syn_ack, syn_rcvd_rcv_ack', async () => {
    const c = await one(HANDSHAKE);
    expect(ends(c)).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(c.roleInferred).toBe(false);
    expect(trail(c)).toEqual([
      '1 client CLOSED>SYN_SENT send SYN',
      '2 server LISTEN>SYN_RCVD send SYN,ACK',
      '2 client SYN_SENT>ESTABLISHED rcv SYN,ACK',
      '3 server SYN_RCVD>ESTABLISHED rcv ACK of SYN',
    ]);
  });

  it('syn_sent_rcv_syn_ack_bad_ack is ignored', async () => {
    const c = await one([HANDSHAKE[0]!, { t: 0.01, from: 's', flags: 'S.', seq: ISN_S, ack: 77 }]);
    expect(ends(c)).toEqual(['SYN_SENT', 'SYN_RCVD']);
  });

  it('syn_sent_retransmitted_syn stays SYN_SENT and the listener that never answered stays LISTEN', async () => {
    const c = await one([HANDSHAKE[0]!, { t: 1, from: 'c', flags: 'S', seq: ISN_C }, { t: 3, from: 'c', flags: 'S', seq: ISN_C }]);
    expect(ends(c)).toEqual(['SYN_SENT', 'LISTEN']);
    expect(trail(c)).toEqual(['1 client CLOSED>SYN_SENT send SYN']);
  });

  it('syn_rcvd_retransmitted_syn_ack after a lost final ACK returns the server to SYN_RCVD', async () => {
    const c = await one([...HANDSHAKE, { t: 1, from: 's', flags: 'S.', seq: ISN_S, ack: ISN_C + 1 }]);
    expect(ends(c)).toEqual(['ESTABLISHED', 'SYN_RCVD']);
    expect(trail(c).at(-1)).toBe('4 server ESTABLISHED>SYN_RCVD send SYN,ACK again (ACK of SYN not received)');
  });

  it('simultaneous open: both SYN_SENT, then SYN_RCVD, then ESTABLISHED', async () => {
    const c = await one([
      { t: 0, from: 'c', flags: 'S', seq: ISN_C },
      { t: 0.001, from: 's', flags: 'S', seq: ISN_S },
      { t: 0.002, from: 'c', flags: 'S.', seq: ISN_C, ack: ISN_S + 1 },
      { t: 0.003, from: 's', flags: 'S.', seq: ISN_S, ack: ISN_C + 1 },
    ]);
    expect(ends(c)).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(trail(c)).toEqual([
      '1 client CLOSED>SYN_SENT send SYN',
      '2 server LISTEN>SYN_SENT send SYN',
      '2 server SYN_SENT>SYN_RCVD rcv SYN',
      '2 client SYN_SENT>SYN_RCVD rcv SYN',
      '3 server SYN_RCVD>ESTABLISHED rcv ACK of SYN',
      '4 client SYN_RCVD>ESTABLISHED rcv ACK of SYN',
    ]);
  });
});

describe('close', () => {
  it('four-segment close: FIN_WAIT_1, FIN_WAIT_2, TIME_WAIT against CLOSE_WAIT, LAST_ACK, CLOSED', async () => {
    const c = await one([
      ...HANDSHAKE,
      { t: 1, from: 'c', flags: 'F.', seq: 1001, ack: 5001 },
      { t: 1.01, from: 's', flags: '.', seq: 5001, ack: 1002 },
      { t: 1.5, from: 's', flags: 'F.', seq: 5001, ack: 1002 },
      { t: 1.51, from: 'c', flags: '.', seq: 1002, ack: 5002 },
    ]);
    expect(ends(c)).toEqual(['TIME_WAIT', 'CLOSED']);
    expect(c.normalEnd).toBe(true);
    expect(trail(c).slice(4)).toEqual([
      '4 client ESTABLISHED>FIN_WAIT_1 send FIN',
      '4 server ESTABLISHED>CLOSE_WAIT rcv FIN',
      '5 client FIN_WAIT_1>FIN_WAIT_2 rcv ACK of FIN',
      '6 server CLOSE_WAIT>LAST_ACK send FIN',
      '6 client FIN_WAIT_2>TIME_WAIT rcv FIN',
      '7 server LAST_ACK>CLOSED rcv ACK of FIN',
    ]);
  });

  it('three-segment close: FIN+ACK of FIN takes FIN_WAIT_1 straight to TIME_WAIT', async () => {
    const c = await one([
      ...HANDSHAKE,
      { t: 1, from: 'c', flags: 'F.', seq: 1001, ack: 5001 },
      { t: 1.01, from: 's', flags: 'F.', seq: 5001, ack: 1002 },
      { t: 1.02, from: 'c', flags: '.', seq: 1002, ack: 5002 },
    ]);
    expect(ends(c)).toEqual(['TIME_WAIT', 'CLOSED']);
    expect(trail(c)).toContain('5 client FIN_WAIT_1>TIME_WAIT rcv FIN + ACK of FIN');
  });

  it('simultaneous close: both FIN_WAIT_1, both CLOSING, both TIME_WAIT', async () => {
    const c = await one([
      ...HANDSHAKE,
      { t: 1, from: 'c', flags: 'F.', seq: 1001, ack: 5001 },
      { t: 1, from: 's', flags: 'F.', seq: 5001, ack: 1001 },
      { t: 1.01, from: 'c', flags: '.', seq: 1002, ack: 5002 },
      { t: 1.01, from: 's', flags: '.', seq: 5002, ack: 1002 },
    ]);
    expect(ends(c)).toEqual(['TIME_WAIT', 'TIME_WAIT']);
    const t = trail(c);
    expect(t).toContain('4 client ESTABLISHED>FIN_WAIT_1 send FIN');
    expect(t).toContain('5 server ESTABLISHED>FIN_WAIT_1 send FIN');
    expect(t).toContain('5 client FIN_WAIT_1>CLOSING rcv FIN');
    expect(t).toContain('7 client CLOSING>TIME_WAIT rcv ACK of FIN');
    // The server's FIN did not acknowledge the client's: the FINs crossed, so no CLOSE_WAIT for it.
    expect(t.filter((l) => l.includes('CLOSE_WAIT'))).toEqual([]);
  });

  it('fin_wait_1_retransmitted_fin counts, state unchanged', async () => {
    const c = await one([...HANDSHAKE, { t: 1, from: 'c', flags: 'F.', seq: 1001, ack: 5001 }, { t: 1.3, from: 'c', flags: 'F.', seq: 1001, ack: 5001 }]);
    expect(ends(c)).toEqual(['FIN_WAIT_1', 'CLOSE_WAIT']);
  });

  it('last_ack_fin_retransmitted after its ACK was captured: the ACK was lost, LAST_ACK again', async () => {
    const c = await one([
      ...HANDSHAKE,
      { t: 1, from: 'c', flags: 'F.', seq: 1001, ack: 5001 },
      { t: 1.01, from: 's', flags: '.', seq: 5001, ack: 1002 },
      { t: 1.5, from: 's', flags: 'F.', seq: 5001, ack: 1002 },
      { t: 1.51, from: 'c', flags: '.', seq: 1002, ack: 5002 },
      { t: 1.7, from: 's', flags: 'F.', seq: 5001, ack: 1002 },
      { t: 1.71, from: 'c', flags: '.', seq: 1002, ack: 5002 },
      { t: 2.1, from: 's', flags: 'F.', seq: 5001, ack: 1002 },
      { t: 2.11, from: 'c', flags: '.', seq: 1002, ack: 5002 },
    ]);
    // The last ACK is followed by no retransmission only because the capture stops: still LAST_ACK.
    expect(ends(c)).toEqual(['TIME_WAIT', 'LAST_ACK']);
    expect(trail(c)).toContain('8 server CLOSED>LAST_ACK send FIN again (ACK of FIN not received)');
  });

  it('last_ack ACK that is not followed by another retransmission is believed, at its own packet', async () => {
    const c = await one([
      ...HANDSHAKE,
      { t: 1, from: 'c', flags: 'F.', seq: 1001, ack: 5001 },
      { t: 1.5, from: 's', flags: 'F.', seq: 5001, ack: 1002 },
      { t: 1.51, from: 'c', flags: '.', seq: 1002, ack: 5002 },
      { t: 1.7, from: 's', flags: 'F.', seq: 5001, ack: 1002 },
      { t: 1.71, from: 'c', flags: '.', seq: 1002, ack: 5002 },
      // Nothing more from the server for seconds: the ACK at packet 8 got through.
      { t: 5, from: 'c', flags: '.', seq: 1002, ack: 5002 },
    ]);
    expect(ends(c)).toEqual(['TIME_WAIT', 'CLOSED']);
    expect(trail(c).at(-1)).toBe('8 server LAST_ACK>CLOSED rcv ACK of FIN');
  });

  it('crossing FINs: a FIN that does not acknowledge the peer FIN was sent from ESTABLISHED', async () => {
    const c = await one([
      ...HANDSHAKE,
      { t: 1, from: 'c', flags: 'F.', seq: 1001, ack: 5001 },
      { t: 1.0001, from: 's', flags: 'F.', seq: 5001, ack: 1001 },
      { t: 1.0002, from: 'c', flags: '.', seq: 1002, ack: 5002 },
      { t: 1.0003, from: 's', flags: '.', seq: 5002, ack: 1002 },
    ]);
    expect(ends(c)).toEqual(['TIME_WAIT', 'TIME_WAIT']);
    expect(trail(c).filter((l) => l.includes('CLOSE_WAIT'))).toEqual([]);
  });

  it('data after FIN is kept in the counts and does not move the state', async () => {
    const c = await one([
      ...HANDSHAKE,
      { t: 1, from: 'c', flags: 'F.', seq: 1001, ack: 5001 },
      { t: 1.1, from: 'c', flags: 'P.', seq: 1002, ack: 5001, len: 10 },
    ]);
    expect(ends(c)).toEqual(['FIN_WAIT_1', 'CLOSE_WAIT']);
    expect(c.client.payloadBytes).toBe(10);
  });
});

describe('TIME_WAIT', () => {
  const closeThenLater = (later: number): Seg[] => [
    ...HANDSHAKE,
    { t: 1, from: 'c', flags: 'F.', seq: 1001, ack: 5001 },
    { t: 1.01, from: 's', flags: 'F.', seq: 5001, ack: 1002 },
    { t: 1.02, from: 'c', flags: '.', seq: 1002, ack: 5002 },
    { t: later, from: 'c', flags: 'S', seq: 9000 },
  ];

  it('time_wait_2msl_timeout at 2×MSL, with no packet number', async () => {
    const r = await analyzeSegs(closeThenLater(70), { msl: 30 });
    const [old] = conns(r);
    expect(ends(old!)).toEqual(['CLOSED', 'CLOSED']);
    const t = old!.transitions!;
    const last = t.length - TRANSITION_FIELDS;
    expect(t[last]).toBe(0);
    expect(EVENT_NAMES[transitionEvent(t[last + 3]!)]).toBe('2MSL timeout');
    // TIME_WAIT began with the server's FIN,ACK at 1.01 s.
    expect(t[last + 1]! + t[last + 2]! * 1e-9 - 1_700_000_001.01).toBeCloseTo(60, 5);
  });

  it('--msl shortens TIME_WAIT', async () => {
    const r = await analyzeSegs(closeThenLater(3), { msl: 1 });
    expect(ends(conns(r)[0]!)).toEqual(['CLOSED', 'CLOSED']);
    const r2 = await analyzeSegs(closeThenLater(3), { msl: 30 });
    // Within 2MSL the same tuple's SYN is a new incarnation; the old one ends its TIME_WAIT for it.
    const [old, fresh] = conns(r2);
    expect(ends(old!)).toEqual(['CLOSED', 'CLOSED']);
    expect(trail(old!).at(-1)).toContain('TIME_WAIT>CLOSED tuple reused by a new SYN');
    expect(ends(fresh!)).toEqual(['SYN_SENT', 'LISTEN']);
  });

  it('a new SYN on a tuple in TIME_WAIT starts a new connection record', async () => {
    const r = await analyzeSegs(closeThenLater(10));
    const cs = conns(r);
    expect(cs.map((c) => c.id)).toEqual([1, 2]);
    expect(cs[1]!.firstPacket).toBe(7);
  });

  it('a retransmitted FIN in TIME_WAIT restarts the 2MSL timer', async () => {
    const r = await analyzeSegs([
      ...HANDSHAKE,
      { t: 1, from: 'c', flags: 'F.', seq: 1001, ack: 5001 },
      { t: 1.01, from: 's', flags: 'F.', seq: 5001, ack: 1002 },
      { t: 1.02, from: 'c', flags: '.', seq: 1002, ack: 5002 },
      { t: 50, from: 's', flags: 'F.', seq: 5001, ack: 1002 },
      { t: 100, from: 's', flags: '.', seq: 5002, ack: 1002 },
    ], { msl: 30 });
    // Without the restart TIME_WAIT would have ended at 61 s; restarted at 50 s it lasts to 110 s.
    expect(ends(conns(r)[0]!)).toEqual(['TIME_WAIT', 'LAST_ACK']);
  });
});

describe('reset', () => {
  it('syn_sent_rcv_rst_ack: refused, both CLOSED', async () => {
    const c = await one([HANDSHAKE[0]!, { t: 0.01, from: 's', flags: 'R.', seq: 0, ack: ISN_C + 1 }]);
    expect(ends(c)).toEqual(['CLOSED', 'CLOSED']);
    expect(c.normalEnd).toBe(false);
    expect(trail(c)).toEqual([
      '1 client CLOSED>SYN_SENT send SYN',
      '2 server LISTEN>CLOSED send RST',
      '2 client SYN_SENT>CLOSED rcv RST',
    ]);
  });

  it('syn_sent_rcv_rst_bad_ack is not acceptable', async () => {
    const c = await one([HANDSHAKE[0]!, { t: 0.01, from: 's', flags: 'R.', seq: 0, ack: 12345 }]);
    expect(ends(c)).toEqual(['SYN_SENT', 'CLOSED']);
  });

  it('syn_rcvd_rcv_rst', async () => {
    const c = await one([HANDSHAKE[0]!, HANDSHAKE[1]!, { t: 0.02, from: 'c', flags: 'R', seq: ISN_C + 1 }]);
    expect(ends(c)).toEqual(['CLOSED', 'CLOSED']);
  });

  // The server's state before a RST from the client (sequence number `rst`, in window) arrives.
  const serverIn: [string, Seg[], string, number][] = [
    ['established', [], 'ESTABLISHED', 1001],
    ['fin_wait_1', [{ t: 1, from: 's', flags: 'F.', seq: 5001, ack: 1001 }], 'FIN_WAIT_1', 1001],
    ['fin_wait_2', [{ t: 1, from: 's', flags: 'F.', seq: 5001, ack: 1001 }, { t: 1.1, from: 'c', flags: '.', seq: 1001, ack: 5002 }], 'FIN_WAIT_2', 1001],
    ['closing', [{ t: 1, from: 's', flags: 'F.', seq: 5001, ack: 1001 }, { t: 1, from: 'c', flags: 'F.', seq: 1001, ack: 5001 }], 'CLOSING', 1002],
    ['close_wait', [{ t: 1, from: 'c', flags: 'F.', seq: 1001, ack: 5001 }], 'CLOSE_WAIT', 1002],
    ['last_ack', [{ t: 1, from: 'c', flags: 'F.', seq: 1001, ack: 5001 }, { t: 1.1, from: 's', flags: 'F.', seq: 5001, ack: 1002 }], 'LAST_ACK', 1002],
  ];
  for (const [name, pre, state, rst] of serverIn) {
    it(`${name}_rcv_rst_in_window closes the server`, async () => {
      const c = await one([...HANDSHAKE, ...pre, { t: 2, from: 'c', flags: 'R', seq: rst }]);
      expect(trail(c).filter((l) => l.startsWith(`${3 + pre.length} server`)).at(-1)).toContain(`>${state} `);
      expect(ends(c)).toEqual(['CLOSED', 'CLOSED']);
      expect(trail(c).at(-1)).toBe(`${4 + pre.length} server ${state}>CLOSED rcv RST`);
    });
  }

  it('established_rcv_rst_out_of_window is ignored', async () => {
    const c = await one([
      ...HANDSHAKE,
      { t: 0.5, from: 's', flags: '.', seq: 5001, ack: 1001, win: 100 },
      { t: 1, from: 'c', flags: 'R', seq: 900000 },
    ]);
    expect(ends(c)).toEqual(['CLOSED', 'ESTABLISHED']);
  });

  it('time_wait_rcv_rst ends TIME_WAIT early (Linux, tcp_rfc1337 = 0)', async () => {
    const c = await one([
      ...HANDSHAKE,
      { t: 1, from: 'c', flags: 'F.', seq: 1001, ack: 5001 },
      { t: 1.01, from: 's', flags: 'F.', seq: 5001, ack: 1002 },
      { t: 1.02, from: 'c', flags: '.', seq: 1002, ack: 5002 },
      { t: 2, from: 's', flags: 'R', seq: 5002 },
    ]);
    expect(ends(c)).toEqual(['CLOSED', 'CLOSED']);
  });
});

describe('capture started mid-connection', () => {
  it('infers ESTABLISHED at both ends, the server by its port, and marks it', async () => {
    const c = await one([{ t: 0, from: 'c', flags: 'P.', seq: 777, ack: 888, len: 5 }]);
    expect(ends(c)).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(c.roleInferred).toBe(true);
    expect(c.stateInferred).toBe(true);
    expect(c.server.port).toBe(80);
    expect(trail(c)[0]).toBe('1 client CLOSED>ESTABLISHED inferred: capture started mid-connection');
  });

  it('a first packet from the server still makes port 80 the server', async () => {
    const c = await one([{ t: 0, from: 's', flags: 'P.', seq: 777, ack: 888, len: 5 }]);
    expect(c.server.port).toBe(80);
    expect(c.server.packets).toBe(1);
  });

  it('a SYN,ACK first proves the uncaptured SYN', async () => {
    const c = await one([HANDSHAKE[1]!, HANDSHAKE[2]!]);
    expect(ends(c)).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(c.roleInferred).toBe(true);
    expect(trail(c)[0]).toBe('1 client CLOSED>SYN_SENT inferred: SYN not captured');
  });

  it('a FIN first: FIN_WAIT_1 against CLOSE_WAIT', async () => {
    const c = await one([{ t: 0, from: 's', flags: 'F.', seq: 10, ack: 20 }]);
    expect(ends(c)).toEqual(['CLOSE_WAIT', 'FIN_WAIT_1']);
  });
});
