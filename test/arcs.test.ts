import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, EVENT_NAMES, STATE_NAMES } from '../src/index.js';
import { TRANSITION_FIELDS, transitionEvent, transitionFrom, transitionSide, transitionTo } from '../src/tcp/index.js';

/**
 * The arcs of the RFC 9293 state diagram (section 3.3.2, figure 5, and the RST and timer rules of
 * 3.10.7 and 3.10.8), as `FROM event TO`, written out here independently of src/tcp/machine.ts so
 * that the machine is checked against the RFC, not against itself.
 */
const SYNCHRONIZED = ['SYN_RCVD', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSE_WAIT', 'CLOSING', 'LAST_ACK'];
const RFC_ARCS = new Set([
  'CLOSED send SYN SYN_SENT',
  'LISTEN send SYN,ACK SYN_RCVD',
  'SYN_SENT rcv SYN SYN_RCVD',
  'SYN_SENT rcv SYN,ACK ESTABLISHED',
  'SYN_RCVD rcv ACK of SYN ESTABLISHED',
  // A simultaneous open: the peer's SYN,ACK acknowledges our SYN.
  'SYN_RCVD rcv SYN,ACK ESTABLISHED',
  'SYN_RCVD send FIN FIN_WAIT_1',
  'ESTABLISHED send FIN FIN_WAIT_1',
  'CLOSE_WAIT send FIN LAST_ACK',
  'SYN_RCVD rcv FIN CLOSE_WAIT',
  'ESTABLISHED rcv FIN CLOSE_WAIT',
  'FIN_WAIT_1 rcv ACK of FIN FIN_WAIT_2',
  'FIN_WAIT_1 rcv FIN CLOSING',
  'FIN_WAIT_1 rcv FIN + ACK of FIN TIME_WAIT',
  'FIN_WAIT_2 rcv FIN TIME_WAIT',
  'CLOSING rcv ACK of FIN TIME_WAIT',
  'LAST_ACK rcv ACK of FIN CLOSED',
  'TIME_WAIT 2MSL timeout CLOSED',
  // RFC 6191 / 9293 3.10.7.4: a new SYN on a tuple in TIME_WAIT ends it.
  'TIME_WAIT tuple reused by a new SYN CLOSED',
  // An acceptable RST closes any synchronized state, SYN_SENT (if it acknowledges the SYN) and, on Linux, TIME_WAIT.
  ...['SYN_SENT', ...SYNCHRONIZED, 'TIME_WAIT'].map((s) => `${s} rcv RST CLOSED`),
  // ABORT: a RST sent from any state with a TCB; from TIME_WAIT, Linux's answer to a segment it
  // cannot take there (tcp_timewait_state_process: TCP_TW_RST), after which the TIME_WAIT is gone.
  ...['SYN_SENT', ...SYNCHRONIZED, 'TIME_WAIT'].map((s) => `${s} send RST CLOSED`),
]);

/** Inferences about what the capture did not show; each names itself as one (`inferred: ...`). */
const INFERENCES = new Set([
  'CLOSED inferred: capture started mid-connection ESTABLISHED',
  'CLOSED inferred: SYN not captured SYN_SENT',
  'SYN_SENT inferred: SYN,ACK not captured (ACK of it sent) ESTABLISHED',
  'CLOSED inferred: a listening socket took the SYN LISTEN',
  'SYN_SENT inferred: no socket (it never sent its SYN again, nor answered the SYN,ACK) CLOSED',
]);

function captures(dir: string): string[] {
  return readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f)).sort().map((f) => join(dir, f));
}

const ROOT = join(import.meta.dirname, '..', 'captures');
const FILES = [...captures(ROOT), ...captures(join(ROOT, 'zeek'))];

describe('every transition is an RFC 9293 arc or a marked inference', () => {
  it('over every capture in the repository and every Zeek trace', async () => {
    const seen = new Map<string, number>();
    let total = 0;
    const wrong: string[] = [];
    for (const file of FILES) {
      const r = await analyze([file], { transitions: true, detect: false });
      for (const c of r.connections!()) {
        const t = c.transitions!;
        const at = [0, 0];
        for (let k = 0; k + TRANSITION_FIELDS <= t.length; k += TRANSITION_FIELDS) {
          const packed = t[k + 3]!;
          const side = transitionSide(packed);
          const from = STATE_NAMES[transitionFrom(packed)]!;
          const to = STATE_NAMES[transitionTo(packed)]!;
          const arc = `${from} ${EVENT_NAMES[transitionEvent(packed)]} ${to}`;
          total++;
          seen.set(arc, (seen.get(arc) ?? 0) + 1);
          if (!RFC_ARCS.has(arc) && !INFERENCES.has(arc)) wrong.push(`${file} #${c.id} ${side ? 'server' : 'client'}: ${arc}`);
          // Each side's transitions chain: every one starts where the one before it ended, from CLOSED.
          if (STATE_NAMES[at[side]!] !== from) wrong.push(`${file} #${c.id} ${side ? 'server' : 'client'}: ${arc} after ${STATE_NAMES[at[side]!]}`);
          at[side] = transitionTo(packed);
        }
        // And the last one lands on the state reported at the end.
        if (at[0] !== c.client.state && t.length) {
          const mine = [...Array(t.length / TRANSITION_FIELDS).keys()].some((k) => transitionSide(t[k * TRANSITION_FIELDS + 3]!) === 0);
          if (mine) wrong.push(`${file} #${c.id} client ends ${STATE_NAMES[c.client.state]}, its history in ${STATE_NAMES[at[0]!]}`);
        }
        if (at[1] !== c.server.state && at[1] !== 0) wrong.push(`${file} #${c.id} server ends ${STATE_NAMES[c.server.state]}, its history in ${STATE_NAMES[at[1]!]}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(total).toBeGreaterThan(10_000);
    // The captures exercise the common arcs and the inferences, not just a few.
    for (const arc of ['LISTEN send SYN,ACK SYN_RCVD', 'FIN_WAIT_1 rcv FIN CLOSING', 'LAST_ACK rcv ACK of FIN CLOSED', 'TIME_WAIT 2MSL timeout CLOSED',
      'CLOSED inferred: a listening socket took the SYN LISTEN', 'SYN_SENT inferred: no socket (it never sent its SYN again, nor answered the SYN,ACK) CLOSED']) {
      expect(seen.get(arc) ?? 0, arc).toBeGreaterThan(0);
    }
  }, 120_000);
});
