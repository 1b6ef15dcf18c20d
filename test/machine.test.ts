import { describe, expect, it } from 'vitest';
import { EVENT_NAMES, STATE_NAMES } from '../src/index.js';
import { type ConnectionRecord, TRANSITION_FIELDS, transitionEvent, transitionFrom, transitionSide, transitionTo } from '../src/tcp/index.js';
import { analyzeSegs, conns, type Seg } from './helpers/build.js';
import { Wire } from './helpers/machine.js';
import { Vantage, vantageOf } from '../src/tcp/vantage.js';

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


/** Client SYN, server SYN,ACK, client ACK, straight into the two machines. */
const open = (): Wire => new Wire().seg(0, 'c', 'S', ISN_C).seg(0.01, 's', 'S.', ISN_S, ISN_C + 1).seg(0.02, 'c', '.', ISN_C + 1, ISN_S + 1);
const OPENED = [
  '1 client CLOSED>SYN_SENT send SYN',
  '2 server CLOSED>LISTEN inferred: a listening socket took the SYN',
  '2 server LISTEN>SYN_RCVD send SYN,ACK',
  '2 client SYN_SENT>ESTABLISHED rcv SYN,ACK',
  '3 server SYN_RCVD>ESTABLISHED rcv ACK of SYN',
];

describe('CLOSED, LISTEN, SYN_SENT, SYN_RCVD', () => {
  it('closed_send_syn, listen_send_syn_ack, syn_sent_rcv_syn_ack, syn_rcvd_rcv_ack', () => {
    const w = open().end(5);
    expect(w.states()).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(w.trail()).toEqual(OPENED);
    expect(w.lost()).toEqual([]);
  });

  it('closed_rcv_syn unanswered: the server side had no socket for the tuple, CLOSED, not LISTEN', () => {
    const w = new Wire().seg(0, 'c', 'S', ISN_C).seg(1, 'c', 'S', ISN_C).seg(3, 'c', 'S', ISN_C).end(4);
    expect(w.states()).toEqual(['SYN_SENT', 'CLOSED']);
    expect(w.possible('s')).toEqual([]);
    expect(w.trail()).toEqual(['1 client CLOSED>SYN_SENT send SYN']);
  });

  it('syn_sent_no_retransmission for 3 s: no socket sent that SYN (a spoofed source), CLOSED by a marked inference', () => {
    const w = new Wire().seg(0, 'c', 'S', ISN_C).seg(0.01, 's', 'S.', ISN_S, ISN_C + 1).seg(1, 's', 'S.', ISN_S, ISN_C + 1).end(10);
    expect(w.states()).toEqual(['CLOSED', 'SYN_RCVD']);
    expect(w.trail()).toEqual([
      '1 client CLOSED>SYN_SENT send SYN',
      '2 server CLOSED>LISTEN inferred: a listening socket took the SYN',
      '2 server LISTEN>SYN_RCVD send SYN,ACK',
      '0 client SYN_SENT>CLOSED inferred: no socket (it never sent its SYN again, nor answered the SYN,ACK)',
    ]);
    // Never ESTABLISHED: nothing on the wire says a SYN,ACK reached a socket.
    expect(w.trail().some((l) => l.includes('client SYN_SENT>ESTABLISHED'))).toBe(false);
  });

  it('syn_sent_retransmitted_syn after a SYN,ACK: the SYN,ACK was lost before the client, which stays SYN_SENT', () => {
    const w = new Wire().seg(0, 'c', 'S', ISN_C).seg(0.01, 's', 'S.', ISN_S, ISN_C + 1)
      .seg(1, 'c', 'S', ISN_C).seg(1.01, 's', 'S.', ISN_S, ISN_C + 1).seg(3, 'c', 'S', ISN_C).end(4);
    expect(w.states()).toEqual(['SYN_SENT', 'SYN_RCVD']);
    expect(w.trail()).toEqual(OPENED.slice(0, 3));
    // The client's SYN again (packets 3, 5) shows each SYN,ACK before it had not arrived.
    expect(w.lost()).toEqual(['2 before client (proved by 3)', '4 before client (proved by 5)']);
  });

  it('syn_sent_rcv_syn_ack on the third copy: the history has the client ESTABLISHED at the copy that arrived', () => {
    const w = new Wire().seg(0, 'c', 'S', ISN_C).seg(0.01, 's', 'S.', ISN_S, ISN_C + 1)
      .seg(1, 'c', 'S', ISN_C).seg(1.01, 's', 'S.', ISN_S, ISN_C + 1).seg(1.02, 'c', '.', ISN_C + 1, ISN_S + 1).end(4);
    expect(w.states()).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(w.trail().slice(3)).toEqual(['4 client SYN_SENT>ESTABLISHED rcv SYN,ACK', '5 server SYN_RCVD>ESTABLISHED rcv ACK of SYN']);
    expect(w.lost()).toEqual(['2 before client (proved by 3)']);
  });

  it('syn_sent_rcv_syn_ack_bad_ack is not acceptable', () => {
    const w = new Wire().seg(0, 'c', 'S', ISN_C).seg(0.01, 's', 'S.', ISN_S, 77).end(0.5);
    expect(w.states()[0]).toBe('SYN_SENT');
  });

  it('syn_rcvd_retransmitted_syn_ack after the final ACK: that ACK was lost before the server, which stays SYN_RCVD', () => {
    const w = open().seg(1, 's', 'S.', ISN_S, ISN_C + 1).end(2);
    expect(w.states()).toEqual(['ESTABLISHED', 'SYN_RCVD']);
    expect(w.trail()).toEqual(OPENED.slice(0, 4));
    expect(w.lost()).toEqual(['3 before server (proved by 4)']);
  });

  it('syn_sent_rcv_syn: simultaneous open, both SYN_SENT, SYN_RCVD, ESTABLISHED, with no LISTEN', () => {
    const w = new Wire().seg(0, 'c', 'S', ISN_C).seg(0.001, 's', 'S', ISN_S).seg(0.002, 'c', 'S.', ISN_C, ISN_S + 1).seg(0.003, 's', 'S.', ISN_S, ISN_C + 1).end(1);
    expect(w.states()).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(w.trail()).toEqual([
      '1 client CLOSED>SYN_SENT send SYN',
      '2 server CLOSED>SYN_SENT send SYN',
      '2 client SYN_SENT>SYN_RCVD rcv SYN',
      '3 server SYN_SENT>ESTABLISHED rcv SYN,ACK',
      '4 client SYN_RCVD>ESTABLISHED rcv SYN,ACK',
    ]);
  });

  it('syn_sent_rcv_rst_ack: refused; the server side never had a socket, so no LISTEN and no transition', () => {
    const w = new Wire().seg(0, 'c', 'S', ISN_C).seg(0.01, 's', 'R.', 0, ISN_C + 1).end(1);
    expect(w.states()).toEqual(['CLOSED', 'CLOSED']);
    expect(w.trail()).toEqual(['1 client CLOSED>SYN_SENT send SYN', '2 client SYN_SENT>CLOSED rcv RST']);
  });

  it('syn_sent_rcv_rst_ack long before the end: refused is not "no socket", the RST stays in the history', () => {
    const w = new Wire().seg(0, 'c', 'S', ISN_C).seg(0.01, 's', 'R.', 0, ISN_C + 1).end(10);
    expect(w.trail()).toEqual(['1 client CLOSED>SYN_SENT send SYN', '2 client SYN_SENT>CLOSED rcv RST']);
  });

  it('syn_sent_rcv_rst_bad_ack is not acceptable', () => {
    const w = new Wire().seg(0, 'c', 'S', ISN_C).seg(0.01, 's', 'R.', 0, 12345).end(1);
    expect(w.states()).toEqual(['SYN_SENT', 'CLOSED']);
  });

  it('syn_rcvd_rcv_rst', () => {
    const w = new Wire().seg(0, 'c', 'S', ISN_C).seg(0.01, 's', 'S.', ISN_S, ISN_C + 1).seg(0.02, 'c', 'R', ISN_C + 1).end(1);
    expect(w.states()).toEqual(['CLOSED', 'CLOSED']);
    expect(w.trail().at(-1)).toBe('3 server SYN_RCVD>CLOSED rcv RST');
  });
});

describe('ESTABLISHED', () => {
  it('established_send_fin, close_wait_send_fin, fin_wait_1_rcv_ack, fin_wait_2_rcv_fin, last_ack_rcv_ack', () => {
    const w = open().seg(1, 'c', 'F.', 1001, 5001).seg(1.01, 's', '.', 5001, 1002).seg(1.5, 's', 'F.', 5001, 1002).seg(1.51, 'c', '.', 1002, 5002).end(3);
    expect(w.states()).toEqual(['TIME_WAIT', 'CLOSED']);
    expect(w.trail().slice(5)).toEqual([
      '4 client ESTABLISHED>FIN_WAIT_1 send FIN',
      '4 server ESTABLISHED>CLOSE_WAIT rcv FIN',
      '5 client FIN_WAIT_1>FIN_WAIT_2 rcv ACK of FIN',
      '6 server CLOSE_WAIT>LAST_ACK send FIN',
      '6 client FIN_WAIT_2>TIME_WAIT rcv FIN',
      '7 server LAST_ACK>CLOSED rcv ACK of FIN',
    ]);
    expect(w.timeWait.at(-1)).toEqual({ side: 0, at: 1.5 });
  });

  it('established_rcv_fin unconfirmed at the end: CLOSE_WAIT, or ESTABLISHED if it never arrived', () => {
    const w = open().seg(1, 'c', 'F.', 1001, 5001).end(1.05);
    expect(w.states()).toEqual(['FIN_WAIT_1', 'CLOSE_WAIT']);
    expect(w.possible('s')).toEqual(['CLOSE_WAIT', 'ESTABLISHED']);
    expect(w.why('s')).toBe('unconfirmed_arrival');
  });

  it('established_rcv_fin retransmitted and never acknowledged: lost, the receiver stays ESTABLISHED', () => {
    const w = open().seg(1, 'c', 'F.', 1001, 5001).seg(1.3, 'c', 'F.', 1001, 5001).seg(1.9, 'c', 'F.', 1001, 5001).end(2);
    expect(w.states()).toEqual(['FIN_WAIT_1', 'ESTABLISHED']);
    expect(w.possible('s')).toEqual(['ESTABLISHED', 'CLOSE_WAIT']);
    expect(w.why('s')).toBe('unconfirmed_after_loss');
    expect(w.trail()).toEqual([...OPENED, '4 client ESTABLISHED>FIN_WAIT_1 send FIN']);
    expect(w.lost()).toEqual(['4 before server (proved by 5)', '5 before server (proved by 6)']);
  });

  it('established_rcv_fin into a zero window is not acceptable (RFC 9293 3.10.7.4): FIN_WAIT_1 against ESTABLISHED', () => {
    const w = open().seg(0.5, 's', '.', 5001, 1001, { win: 0 }).seg(1, 'c', 'F.', 1001, 5001).seg(1.01, 's', '.', 5001, 1001, { win: 0 }).end(10);
    expect(w.states()).toEqual(['FIN_WAIT_1', 'ESTABLISHED']);
    expect(w.trail().some((l) => l.includes('CLOSE_WAIT'))).toBe(false);
  });

  it('established_zero_window_stall: a sender held by a zero window may have closed, ESTABLISHED or FIN_WAIT_1', () => {
    const w = open().seg(0.3, 'c', 'P.', 1001, 5001, { len: 100 }).seg(0.5, 's', '.', 5001, 1101, { win: 0 })
      .seg(1, 'c', '.', 1100, 5001).seg(1.01, 's', '.', 5001, 1101, { win: 0 }).seg(4, 'c', '.', 1100, 5001).seg(4.01, 's', '.', 5001, 1101, { win: 0 }).end(10);
    expect(w.states()).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(w.possible('c')).toEqual(['ESTABLISHED', 'FIN_WAIT_1']);
    expect(w.why('c')).toBe('zero_window');
    expect(w.possible('s')).toEqual([]);
  });

  it('established_rcv_rst in window', () => {
    const w = open().seg(2, 'c', 'R', 1001).end(3);
    expect(w.states()).toEqual(['CLOSED', 'CLOSED']);
    expect(w.trail().slice(5)).toEqual(['4 client ESTABLISHED>CLOSED send RST', '4 server ESTABLISHED>CLOSED rcv RST']);
  });

  it('established_rcv_rst out of window is ignored', () => {
    const w = open().seg(0.5, 's', '.', 5001, 1001, { win: 100 }).seg(1, 'c', 'R', 900000).end(3);
    expect(w.states()).toEqual(['CLOSED', 'ESTABLISHED']);
  });

  it('established_data_lost_then_rst: the retransmitted data never arrived, the reset did', () => {
    const w = open().seg(1, 'c', 'P.', 1001, 5001, { len: 100 }).seg(1.3, 'c', 'P.', 1001, 5001, { len: 100 }).seg(2, 's', 'R', 5001).end(3);
    expect(w.states()).toEqual(['CLOSED', 'CLOSED']);
    expect(w.trail().slice(5)).toEqual(['6 server ESTABLISHED>CLOSED send RST', '6 client ESTABLISHED>CLOSED rcv RST']);
  });
});

describe('FIN_WAIT_1, CLOSING, LAST_ACK', () => {
  it('fin_wait_1_rcv_fin_ack: three-segment close, straight to TIME_WAIT', () => {
    const w = open().seg(1, 'c', 'F.', 1001, 5001).seg(1.01, 's', 'F.', 5001, 1002).seg(1.02, 'c', '.', 1002, 5002).end(3);
    expect(w.states()).toEqual(['TIME_WAIT', 'CLOSED']);
    expect(w.trail()).toContain('5 client FIN_WAIT_1>TIME_WAIT rcv FIN + ACK of FIN');
  });

  it('fin_wait_1_rcv_fin: simultaneous close, both CLOSING then TIME_WAIT, and no CLOSE_WAIT', () => {
    const w = open().seg(1, 'c', 'F.', 1001, 5001).seg(1, 's', 'F.', 5001, 1001).seg(1.01, 'c', '.', 1002, 5002).seg(1.01, 's', '.', 5002, 1002).end(3);
    expect(w.states()).toEqual(['TIME_WAIT', 'TIME_WAIT']);
    expect(w.trail().slice(5)).toEqual([
      '4 client ESTABLISHED>FIN_WAIT_1 send FIN',
      '5 server ESTABLISHED>FIN_WAIT_1 send FIN',
      '5 server FIN_WAIT_1>CLOSING rcv FIN',
      '5 client FIN_WAIT_1>CLOSING rcv FIN',
      '6 server CLOSING>TIME_WAIT rcv ACK of FIN',
      '7 client CLOSING>TIME_WAIT rcv ACK of FIN',
    ]);
  });

  it('fin_wait_1_rcv_fin crossing, later packets lost: the FINs each side sent again show which it had not received', () => {
    const w = open().seg(1, 'c', 'F.', 1001, 5001).seg(1.0001, 's', 'F.', 5001, 1001).seg(1.3, 'c', 'F.', 1001, 5001).seg(1.3001, 's', 'F.', 5001, 1001).end(1.35);
    // Packet 5 (ack 1001) shows the server had not the client's FIN, packet 6 (ack 5001) that the client had not the
    // server's, packet 7 (ack 1001 again) that the server had not the client's second either.
    expect(w.lost()).toEqual(['4 before server (proved by 5)', '5 before client (proved by 6)', '6 before server (proved by 7)']);
    // Of the server's last FIN nothing tells: its copies before were lost, so most likely it was too.
    expect(w.states()).toEqual(['FIN_WAIT_1', 'FIN_WAIT_1']);
    expect(w.possible('c')).toEqual(['FIN_WAIT_1', 'CLOSING']);
    expect(w.why('c')).toBe('unconfirmed_after_loss');
    expect(w.trail().some((l) => l.includes('FIN_WAIT_2') || l.includes('CLOSE_WAIT'))).toBe(false);
  });

  it('fin_wait_1_rcv_fin_ack late: shown not yet arrived by the FIN sent again, then acknowledged: it came after that packet, and is not lost', () => {
    const w = open().seg(1, 'c', 'F.', 1001, 5001).seg(1.001, 's', 'F.', 5001, 1002).seg(1.2, 'c', 'F.', 1001, 5001)
      .seg(1.201, 's', '.', 5002, 1002).seg(1.202, 'c', '.', 1002, 5002).end(2);
    expect(w.states()).toEqual(['TIME_WAIT', 'CLOSED']);
    expect(w.lost()).toEqual([]);
    // Not at packet 5, which the client's packet 6 (ack 5001) shows had not reached it yet; nor at 7, an ACK without the FIN.
    expect(w.trail()).toContain('6 client FIN_WAIT_1>TIME_WAIT rcv FIN + ACK of FIN');
    expect(w.timeWait.at(-1)).toEqual({ side: 0, at: 1.2 });
  });

  it('fin_wait_1_retransmitted_fin unacknowledged: the state stays FIN_WAIT_1', () => {
    const w = open().seg(1, 'c', 'F.', 1001, 5001).seg(1.3, 'c', 'F.', 1001, 5001).end(1.4);
    expect(w.states()[0]).toBe('FIN_WAIT_1');
  });

  it('last_ack_retransmitted_fin after its ACK was captured: the ACK was lost, the history never leaves LAST_ACK', () => {
    const w = open().seg(1, 'c', 'F.', 1001, 5001).seg(1.01, 's', '.', 5001, 1002).seg(1.5, 's', 'F.', 5001, 1002).seg(1.51, 'c', '.', 1002, 5002)
      .seg(1.7, 's', 'F.', 5001, 1002).seg(1.71, 'c', '.', 1002, 5002).seg(2.1, 's', 'F.', 5001, 1002).seg(2.11, 'c', '.', 1002, 5002).end(2.2);
    expect(w.states()).toEqual(['TIME_WAIT', 'LAST_ACK']);
    expect(w.possible('s')).toEqual(['LAST_ACK', 'CLOSED']);
    // No LAST_ACK > CLOSED > LAST_ACK: the ACKs that did not arrive are out of the history.
    expect(w.trail().filter((l) => l.includes(' server ')).at(-1)).toBe('6 server CLOSE_WAIT>LAST_ACK send FIN');
    // Each FIN again (8, 10) shows the ACK before it had not arrived.
    expect(w.lost()).toEqual(['7 before server (proved by 8)', '9 before server (proved by 10)']);
  });

  it('last_ack_rcv_ack of the last copy, not followed by another retransmission: arrived, at its own packet', () => {
    const w = open().seg(1, 'c', 'F.', 1001, 5001).seg(1.5, 's', 'F.', 5001, 1002).seg(1.51, 'c', '.', 1002, 5002)
      .seg(1.7, 's', 'F.', 5001, 1002).seg(1.71, 'c', '.', 1002, 5002).seg(5, 'c', '.', 1002, 5002).end(6);
    expect(w.states()).toEqual(['TIME_WAIT', 'CLOSED']);
    expect(w.trail().at(-1)).toBe('8 server LAST_ACK>CLOSED rcv ACK of FIN');
    expect(w.lost()).toEqual(['6 before server (proved by 7)']);
  });
});

describe('before the capture', () => {
  it('closed_mid_stream: ESTABLISHED on both sides by a marked inference', () => {
    const w = new Wire().seg(0, 'c', 'P.', 777, 888, { len: 5 }).end(1);
    expect(w.states()).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(w.trail()).toEqual([
      '1 client CLOSED>ESTABLISHED inferred: capture started mid-connection',
      '1 server CLOSED>ESTABLISHED inferred: capture started mid-connection',
    ]);
  });

  it('closed_syn_ack_first proves the uncaptured SYN', () => {
    const w = new Wire().seg(0, 's', 'S.', ISN_S, ISN_C + 1).seg(0.01, 'c', '.', ISN_C + 1, ISN_S + 1).end(1);
    expect(w.states()).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(w.trail()[0]).toBe('1 client CLOSED>SYN_SENT inferred: SYN not captured');
  });

  it('closed_fin_first: FIN_WAIT_1 against CLOSE_WAIT', () => {
    const w = new Wire().seg(0, 's', 'F.', 10, 20).end(1);
    expect(w.states()).toEqual(['CLOSE_WAIT', 'FIN_WAIT_1']);
  });
});

describe('through the connection table', () => {
  it('a first packet from the server still makes port 80 the server', async () => {
    const c = await one([{ t: 0, from: 's', flags: 'P.', seq: 777, ack: 888, len: 5 }]);
    expect(c.server.port).toBe(80);
    expect(c.server.packets).toBe(1);
    expect(c.roleInferred).toBe(true);
    expect(c.stateInferred).toBe(true);
  });

  it('the journal and the transition log agree with the end states', async () => {
    const c = await one([...HANDSHAKE, { t: 1, from: 'c', flags: 'F.', seq: 1001, ack: 5001 }, { t: 1.01, from: 's', flags: 'F.', seq: 5001, ack: 1002 }, { t: 1.02, from: 'c', flags: '.', seq: 1002, ack: 5002 }]);
    expect(ends(c)).toEqual(['TIME_WAIT', 'CLOSED']);
    expect(c.normalEnd).toBe(true);
    expect(trail(c).at(-1)).toBe('6 server LAST_ACK>CLOSED rcv ACK of FIN');
  });
});

describe('through the connection table: TIME_WAIT timers and reuse', () => {
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
    expect(ends(fresh!)).toEqual(['SYN_SENT', 'CLOSED']);
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

describe('TIME_WAIT', () => {
  it('time_wait_rcv_rst ends TIME_WAIT early (Linux, tcp_rfc1337 = 0)', () => {
    const w = open().seg(1, 'c', 'F.', 1001, 5001).seg(1.01, 's', 'F.', 5001, 1002).seg(1.02, 'c', '.', 1002, 5002).seg(2, 's', 'R', 5002).end(3);
    expect(w.states()).toEqual(['CLOSED', 'CLOSED']);
  });

  // The server's state before a RST from the client (sequence number `rst`, in window) arrives.
  const serverIn: [string, (w: Wire) => Wire, string, number][] = [
    ['established', (w) => w, 'ESTABLISHED', 1001],
    ['fin_wait_1', (w) => w.seg(1, 's', 'F.', 5001, 1001), 'FIN_WAIT_1', 1001],
    ['fin_wait_2', (w) => w.seg(1, 's', 'F.', 5001, 1001).seg(1.1, 'c', '.', 1001, 5002), 'FIN_WAIT_2', 1001],
    ['closing', (w) => w.seg(1, 's', 'F.', 5001, 1001).seg(1, 'c', 'F.', 1001, 5001), 'CLOSING', 1002],
    ['close_wait', (w) => w.seg(1, 'c', 'F.', 1001, 5001), 'CLOSE_WAIT', 1002],
    ['last_ack', (w) => w.seg(1, 'c', 'F.', 1001, 5001).seg(1.1, 's', 'F.', 5001, 1002), 'LAST_ACK', 1002],
  ];
  for (const [name, before, state, rst] of serverIn) {
    it(`${name}_rcv_rst in window closes the server`, () => {
      const w = before(open());
      expect(w.states()[1]).toBe(state);
      w.seg(2, 'c', 'R', rst).end(3);
      expect(w.states()).toEqual(['CLOSED', 'CLOSED']);
      expect(w.trail().filter((l) => l.includes(' server ')).at(-1)).toMatch(new RegExp(`^\\d+ server ${state}>CLOSED rcv RST$`));
    });
  }
});

describe('where the capture was taken (tcp/vantage.ts)', () => {
  it('the side whose packets arrive with their initial TTL is beside the capture point', () => {
    expect(vantageOf(0.00002, 0.00003, 64, 58)).toBe(Vantage.NearClient);
    expect(vantageOf(0.00002, 0.00003, 121, 128)).toBe(Vantage.NearServer);
  });

  it('else the side that answers its half of the handshake much sooner is nearer', () => {
    expect(vantageOf(0.0001, 0.020, 64, 64)).toBe(Vantage.NearServer);
    expect(vantageOf(0.030, 0.0004, 64, 64)).toBe(Vantage.NearClient);
    expect(vantageOf(0.010, 0.012, 60, 60)).toBe(Vantage.Between);
  });

  it('round trips under 0.2 ms and equal hops tell nothing; neither does a handshake not seen', () => {
    expect(vantageOf(0.00002, 0.00005, 64, 64)).toBe(Vantage.Unknown);
    expect(vantageOf(-1, -1, 64, 64)).toBe(Vantage.Unknown);
  });

  it('a retransmitted SYN,ACK measures nothing (Karn): lost SYN,ACKs do not make the client look far', () => {
    const w = new Wire().seg(0, 'c', 'S', ISN_C).seg(0.0001, 's', 'S.', ISN_S, ISN_C + 1).seg(1, 'c', 'S', ISN_C)
      .seg(1.0001, 's', 'S.', ISN_S, ISN_C + 1).seg(1.0002, 'c', '.', ISN_C + 1, ISN_S + 1).end(2);
    expect(w.conn.vantage).toBe(Vantage.Unknown);
  });
});
