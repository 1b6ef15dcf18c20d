import { describe, expect, it } from 'vitest';
import { FIXTURE_STATES, inState, type InState } from './helpers/machine.js';
import type { StateName } from '../src/tcp/state.js';

/**
 * Tests by state: each case puts a side in a state with a fixture (inState), applies one RFC 9293
 * event through both machines, and names the state each side is in after it (`<state>_<event>`,
 * as smoltcp's socket tests are named). The fixtures themselves are checked first.
 */
describe('fixtures: inState(state)', () => {
  it.each(FIXTURE_STATES)('inState(%s) has that side in %s', (state) => {
    const f = inState(state);
    const [client, server] = f.w.states();
    expect(f.side === 'c' ? client : server).toBe(state);
  });
});

interface Case {
  name: string;
  from: StateName;
  /**
   * The event, as segments (or a timer) after the fixture's last one. A `_lost` case retransmits
   * with the kernel's backoff until the end, never answered: the wire shows the segment never arrived.
   */
  then: (f: InState) => void;
  /** Both sides' states once the connection is handed on 5 s later: client, server. */
  ends: [StateName, StateName];
}

const CASES: Case[] = [
  { name: 'syn_sent_rcv_syn_ack', from: 'SYN_SENT', then: (f) => f.w.seg(f.t + 0.01, 's', 'S.', 5000, f.c).seg(f.t + 0.02, 'c', '.', f.c, 5001), ends: ['ESTABLISHED', 'ESTABLISHED'] },
  { name: 'syn_sent_rcv_rst_ack', from: 'SYN_SENT', then: (f) => f.w.seg(f.t + 0.01, 's', 'R.', 0, f.c), ends: ['CLOSED', 'CLOSED'] },
  { name: 'syn_rcvd_rcv_ack', from: 'SYN_RCVD', then: (f) => f.w.seg(f.t + 0.01, 'c', '.', f.c, f.s).seg(f.t + 0.02, 'c', 'P.', f.c, f.s, { len: 10 }).seg(f.t + 0.03, 's', '.', f.s, f.c + 10), ends: ['ESTABLISHED', 'ESTABLISHED'] },
  { name: 'established_send_fin', from: 'ESTABLISHED', then: (f) => f.w.seg(f.t + 0.1, 'c', 'F.', f.c, f.s).seg(f.t + 0.11, 's', '.', f.s, f.c + 1), ends: ['FIN_WAIT_2', 'CLOSE_WAIT'] },
  { name: 'established_rcv_fin', from: 'ESTABLISHED', then: (f) => f.w.seg(f.t + 0.1, 's', 'F.', f.s, f.c).seg(f.t + 0.11, 'c', '.', f.c, f.s + 1), ends: ['CLOSE_WAIT', 'FIN_WAIT_2'] },
  { name: 'established_send_fin_lost', from: 'ESTABLISHED', then: (f) => [0.1, 0.3, 0.7, 1.5, 3.1].forEach((d) => f.w.seg(f.t + d, 'c', 'F.', f.c, f.s)), ends: ['FIN_WAIT_1', 'ESTABLISHED'] },
  { name: 'syn_sent_syn_ack_lost', from: 'SYN_SENT', then: (f) => f.w.seg(f.t + 0.01, 's', 'S.', 5000, f.c).seg(f.t + 1, 'c', 'S', f.c - 1).seg(f.t + 1.01, 's', 'S.', 5000, f.c).seg(f.t + 3, 'c', 'S', f.c - 1), ends: ['SYN_SENT', 'SYN_RCVD'] },
  { name: 'established_rcv_rst', from: 'ESTABLISHED', then: (f) => f.w.seg(f.t + 0.1, 's', 'R.', f.s, f.c), ends: ['CLOSED', 'CLOSED'] },
  { name: 'fin_wait_1_rcv_ack', from: 'FIN_WAIT_1', then: (f) => f.w.seg(f.t + 0.01, 's', '.', f.s, f.c), ends: ['FIN_WAIT_2', 'CLOSE_WAIT'] },
  { name: 'fin_wait_1_rcv_fin_and_ack', from: 'FIN_WAIT_1', then: (f) => f.w.seg(f.t + 0.01, 's', 'F.', f.s, f.c).seg(f.t + 0.02, 'c', '.', f.c, f.s + 1), ends: ['TIME_WAIT', 'CLOSED'] },
  { name: 'fin_wait_2_rcv_fin', from: 'FIN_WAIT_2', then: (f) => f.w.seg(f.t + 0.1, 's', 'F.', f.s, f.c).seg(f.t + 0.11, 'c', '.', f.c, f.s + 1), ends: ['TIME_WAIT', 'CLOSED'] },
  { name: 'closing_rcv_ack', from: 'CLOSING', then: (f) => f.w.seg(f.t + 0.01, 's', '.', f.s, f.c).seg(f.t + 0.011, 'c', '.', f.c, f.s), ends: ['TIME_WAIT', 'TIME_WAIT'] },
  { name: 'close_wait_send_fin', from: 'CLOSE_WAIT', then: (f) => f.w.seg(f.t + 0.1, 's', 'F.', f.s, f.c), ends: ['TIME_WAIT', 'LAST_ACK'] },
  { name: 'last_ack_rcv_ack', from: 'LAST_ACK', then: (f) => f.w.seg(f.t + 0.01, 'c', '.', f.c, f.s), ends: ['TIME_WAIT', 'CLOSED'] },
  { name: 'last_ack_rcv_rst', from: 'LAST_ACK', then: (f) => f.w.seg(f.t + 0.01, 'c', 'R', f.c), ends: ['CLOSED', 'CLOSED'] },
  { name: 'time_wait_2msl_timeout', from: 'TIME_WAIT', then: (f) => f.w.expire(f.t + 60, 'c'), ends: ['CLOSED', 'CLOSED'] },
];

describe('<state>_<event>: one event from each state', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const f = inState(c.from);
    c.then(f);
    f.w.end(f.t + 5);
    expect(f.w.states()).toEqual(c.ends);
  });

  it('covers every state a fixture reaches', () => {
    for (const s of FIXTURE_STATES) expect(CASES.some((c) => c.from === s)).toBe(true);
  });
});
