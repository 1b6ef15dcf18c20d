import { DecodedPacket, TH_ACK, TH_FIN, TH_PUSH, TH_RST, TH_SYN } from '../../src/decode/segment.js';
import { Connection, transitionEvent, transitionFrom, transitionSide, transitionTo, TRANSITION_FIELDS } from '../../src/tcp/connection.js';
import { CF, CI, EF, EI, Rows } from '../../src/tcp/layout.js';
import { TcpMachine } from '../../src/tcp/machine.js';
import { analyzeSegment } from '../../src/tcp/analysis.js';
import { EVENT_NAMES, STATE_NAMES, type StateName, type TcpState, WHY_NAMES } from '../../src/tcp/state.js';


const FLAGS: Record<string, number> = { F: TH_FIN, S: TH_SYN, R: TH_RST, P: TH_PUSH, '.': TH_ACK };

/**
 * One connection's two state machines driven directly, with no capture, decoder or table: the
 * client is side 0, the server side 1. Each call is one segment as the capture point saw it.
 */
export class Wire {
  readonly rows = new Rows();
  readonly timeWait: { side: number; at: number }[] = [];
  readonly machine: TcpMachine;
  private readonly p = new DecodedPacket();
  private packet = 0;
  private opened = false;
  readonly conn: Connection;

  constructor() {
    this.rows.ensure(1);
    this.rows.blank(0);
    this.machine = new TcpMachine(this.rows, { startTimeWait: (_slot, side, sec, nsec) => this.timeWait.push({ side, at: sec + nsec * 1e-9 }) });
    this.conn = new Connection(this.rows, 0);
  }

  /** Client ('c') or server ('s') sends `flags` (tcpdump's letters) at `t` seconds. */
  seg(t: number, from: 'c' | 's', flags: string, seq: number, ack = 0, opts: { len?: number; win?: number } = {}): this {
    const p = this.p;
    p.flags = 0;
    for (const ch of flags) p.flags |= FLAGS[ch] ?? 0;
    p.seq = seq | 0;
    p.ack = ack | 0;
    p.payloadLen = opts.len ?? 0;
    p.window = opts.win ?? 64240;
    p.wscale = -1;
    p.ttl = 64;
    p.sport = from === 'c' ? 40000 : 80;
    p.dport = from === 'c' ? 80 : 40000;
    const packet = ++this.packet;
    const sec = Math.floor(t);
    const nsec = Math.round((t - sec) * 1e9);
    const i = this.rows.i;
    const f = this.rows.f;
    if (!this.opened) {
      this.opened = true;
      f[CF.startSec] = sec;
      i[CI.startNsec] = nsec;
      this.machine.open(0, 0, p, packet, sec, nsec);
    }
    // What the table does for every segment before the machines see it: counts, and Wireshark's analysis.
    const [s, sf, r, rf] = from === 'c' ? [CI.SIZE, CF.SIZE, CI.SIZE + EI.SIZE, CF.SIZE + EF.SIZE] : [CI.SIZE + EI.SIZE, CF.SIZE + EF.SIZE, CI.SIZE, CF.SIZE];
    f[CF.lastPacket] = packet;
    f[CF.endSec] = sec;
    i[CI.endNsec] = nsec;
    i[s + EI.packets]!++;
    f[sf + EF.payloadBytes]! += p.payloadLen;
    analyzeSegment(i, f, 0, 0, s, sf, r, rf, p, t, sec, nsec);
    this.machine.segment(0, 0, s, sf, r, rf, p, packet, sec, nsec);
    return this;
  }

  /** The 2MSL timer of the side (`c` or `s`) runs out at `t` (what the table does when a TIME_WAIT expires). */
  expire(t: number, side: 'c' | 's'): this {
    const sec = Math.floor(t);
    const k = side === 'c' ? 0 : 1;
    this.machine.expireTimeWait(0, CI.SIZE + k * EI.SIZE, CF.SIZE + k * EF.SIZE, sec, Math.round((t - sec) * 1e9));
    return this;
  }

  /** The connection leaves the table at `t`: what is still in question is decided. */
  end(t: number): this {
    this.machine.decide(0, t);
    return this;
  }

  states(): [string, string] {
    return [STATE_NAMES[this.conn.client.state as TcpState]!, STATE_NAMES[this.conn.server.state as TcpState]!];
  }

  possible(side: 'c' | 's'): string[] {
    const e = side === 'c' ? this.conn.client : this.conn.server;
    const others = e.possibleStates();
    return others.length ? [e.state as TcpState, ...others].map((s) => STATE_NAMES[s]!) : [];
  }

  why(side: 'c' | 's'): string {
    return WHY_NAMES[(side === 'c' ? this.conn.client : this.conn.server).why]!;
  }

  /** Each transition as `packet side FROM>TO event`, in order. */
  trail(): string[] {
    const out: number[] = [];
    this.machine.transitions(this.conn, out);
    const lines: string[] = [];
    for (let i = 0; i < out.length; i += TRANSITION_FIELDS) {
      const k = out[i + 3]!;
      lines.push(`${out[i]} ${transitionSide(k) === 0 ? 'client' : 'server'} ${STATE_NAMES[transitionFrom(k)]}>${STATE_NAMES[transitionTo(k)]} ${EVENT_NAMES[transitionEvent(k)]}`);
    }
    return lines;
  }

  /** Segments shown lost: `packet before side (proved by N)`. */
  lost(): string[] {
    return this.conn.lost().map((l) => `${l.packet} before ${l.before} (proved by ${l.provedBy})`);
  }
}


/** The client's and the server's initial sequence numbers in the fixtures below. */
export const ISN_C = 1000;
export const ISN_S = 5000;

/** A fixture: the Wire, the side that is in the state asked for, each side's next sequence number, and the time of its last segment. */
export interface InState { w: Wire; side: 'c' | 's'; c: number; s: number; t: number }

const handshake = (): Wire => new Wire().seg(0, 'c', 'S', ISN_C).seg(0.01, 's', 'S.', ISN_S, ISN_C + 1).seg(0.02, 'c', '.', ISN_C + 1, ISN_S + 1);
const C1 = ISN_C + 1;
const S1 = ISN_S + 1;

/** How a connection gets to each state, the ordinary way, and which side then holds it. */
const PATHS: Partial<Record<StateName, () => InState>> = {
  SYN_SENT: () => ({ w: new Wire().seg(0, 'c', 'S', ISN_C), side: 'c', c: C1, s: ISN_S, t: 0 }),
  SYN_RCVD: () => ({ w: new Wire().seg(0, 'c', 'S', ISN_C).seg(0.01, 's', 'S.', ISN_S, C1), side: 's', c: C1, s: S1, t: 0.01 }),
  ESTABLISHED: () => ({ w: handshake(), side: 'c', c: C1, s: S1, t: 0.02 }),
  // The client closes first.
  FIN_WAIT_1: () => ({ w: handshake().seg(0.1, 'c', 'F.', C1, S1), side: 'c', c: C1 + 1, s: S1, t: 0.1 }),
  FIN_WAIT_2: () => ({ w: handshake().seg(0.1, 'c', 'F.', C1, S1).seg(0.11, 's', '.', S1, C1 + 1), side: 'c', c: C1 + 1, s: S1, t: 0.11 }),
  CLOSE_WAIT: () => ({ w: handshake().seg(0.1, 'c', 'F.', C1, S1).seg(0.11, 's', '.', S1, C1 + 1), side: 's', c: C1 + 1, s: S1, t: 0.11 }),
  LAST_ACK: () => ({ w: handshake().seg(0.1, 'c', 'F.', C1, S1).seg(0.11, 's', '.', S1, C1 + 1).seg(0.2, 's', 'F.', S1, C1 + 1), side: 's', c: C1 + 1, s: S1 + 1, t: 0.2 }),
  TIME_WAIT: () => ({
    w: handshake().seg(0.1, 'c', 'F.', C1, S1).seg(0.11, 's', '.', S1, C1 + 1).seg(0.2, 's', 'F.', S1, C1 + 1).seg(0.21, 'c', '.', C1 + 1, S1 + 1),
    side: 'c', c: C1 + 1, s: S1 + 1, t: 0.21,
  }),
  // Both close at once: the FINs cross, each acknowledging only what came before it.
  CLOSING: () => ({ w: handshake().seg(0.1, 'c', 'F.', C1, S1).seg(0.1001, 's', 'F.', S1, C1), side: 'c', c: C1 + 1, s: S1 + 1, t: 0.1001 }),
};

/** The states a fixture can put a side in (LISTEN and CLOSED are where connections start and end, not where they stand). */
export const FIXTURE_STATES = Object.keys(PATHS) as StateName[];

/** A connection with one side in `state`, reached by real segments through both machines (`inState('CLOSE_WAIT')`). */
export function inState(state: StateName): InState {
  const path = PATHS[state];
  if (!path) throw new Error(`no fixture for ${state}`);
  return path();
}
