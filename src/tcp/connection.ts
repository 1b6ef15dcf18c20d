import { Endpoint } from './endpoint.js';
import {
  CF, CF_FINALIZED, CF_LINGERING, CF_REL_BASE_KNOWN, CF_REWRITTEN, CF_ROLE_INFERRED, CF_STATE_INFERRED, CI, CONN_FLOATS, CONN_INTS, EF, EI,
  EF_FIN_SENT, EF_SENT_DATA, EF_SENT_RST, LOST_ENTRIES, type Rows,
} from './layout.js';
import { type ConnectionTiming, rttMedian, TimingField, timingOf } from './timing.js';
import type { MptcpFacts } from './mptcp.js';
import { TcpState } from './state.js';

/** Integers per recorded transition, flat in `Connection.transitions`: packet, sec, nsec, packed. */
export const TRANSITION_FIELDS = 4;

/** side (1 bit), from and to (4 bits each), event (the rest), in one small integer. */
export function packTransition(side: number, from: number, to: number, event: number): number {
  return side | (from << 1) | (to << 5) | (event << 9);
}
export const transitionSide = (packed: number): number => packed & 1;
export const transitionFrom = (packed: number): number => (packed >> 1) & 15;
export const transitionTo = (packed: number): number => (packed >> 5) & 15;
export const transitionEvent = (packed: number): number => packed >> 9;
export { EVIDENCE_SLOTS } from './layout.js';

/**
 * Why a connection left the table while it was still open: no packet for the idle timeout, or
 * the table was full (--max-connections) and it was the least recently active. Its states then are
 * its last known states, and count as its end states.
 */
export const enum Eviction {
  None = 0,
  Idle = 1,
  Full = 2,
}
export const EVICTION_NAMES = [null, 'idle', 'full'] as const;

/** A segment that did not reach the side it was sent to, and the packet that showed it. */
export interface LostSegment {
  packet: number;
  before: 'client' | 'server';
  /** 0 when no packet showed it alone (the capture ended with nothing after the last copy). */
  provedBy: number;
}

/** A connection that keeps changing state (resets answered by resets, ...) stops recording past this. */
export const MAX_TRANSITIONS = 64;

/**
 * One incarnation of a four-tuple, as the stages after the connection table read it: a view of
 * the connection's row in the table (layout.ts). The client is the side that sent the initial
 * SYN (or the side inferred to be the client when the handshake was not captured). The object
 * belongs to its table slot for good: it shows the next connection given that slot once this one
 * has finished, so copy what you keep (tcp/store.ts does).
 */
export class Connection {
  readonly client: Endpoint;
  readonly server: Endpoint;
  /** Where the connection table keeps it. */
  slot: number;
  private ib: number;
  private fb: number;
  /**
   * packet (0 for a timer), sec, nsec, packTransition(...); repeated. The array is kept when the
   * view moves or the slot is reused: its first `transitionLen` entries are this connection's.
   */
  readonly transitions: number[] = [];

  /** `partition`: of the connection table (tcp/connections.ts) the slot belongs to. */
  constructor(private readonly rows: Rows, slot: number, readonly partition = 0) {
    this.slot = slot;
    this.ib = slot * CONN_INTS;
    this.fb = slot * CONN_FLOATS;
    this.client = new Endpoint(rows, slot, 0);
    this.server = new Endpoint(rows, slot, 1);
  }

  /** Shows the connection in `slot` from now on (one view handed on for every connection, kept warm in the cache). */
  at(slot: number): this {
    this.slot = slot;
    this.ib = slot * CONN_INTS;
    this.fb = slot * CONN_FLOATS;
    this.client.at(slot);
    this.server.at(slot);
    return this;
  }

  get id(): number { return this.rows.f[this.fb + CF.id]!; }
  get family(): 4 | 6 { return this.rows.i[this.ib + CI.family] === 6 ? 6 : 4; }
  get encap(): number { return this.rows.i[this.ib + CI.encap]!; }
  /** Its MPTCP facts (tcp/mptcp.ts), or null when it is no MPTCP subflow. */
  mptcp(): MptcpFacts | null {
    const i = this.rows.i;
    const flags = i[this.ib + CI.mptcp]!;
    return flags === 0 ? null : { flags, keyHi: i[this.ib + CI.mptcpKeyHi]!, keyLo: i[this.ib + CI.mptcpKeyLo]! };
  }
  get firstPacket(): number { return this.rows.f[this.fb + CF.firstPacket]!; }
  get lastPacket(): number { return this.rows.f[this.fb + CF.lastPacket]!; }
  get startSec(): number { return this.rows.f[this.fb + CF.startSec]!; }
  get startNsec(): number { return this.rows.i[this.ib + CI.startNsec]!; }
  get endSec(): number { return this.rows.f[this.fb + CF.endSec]!; }
  get endNsec(): number { return this.rows.i[this.ib + CI.endNsec]!; }
  get irtt(): number { return this.rows.f[this.fb + CF.irtt]!; }
  get transitionLen(): number { return this.rows.i[this.ib + CI.transitionLen]!; }
  get transitionsDropped(): number { return this.rows.i[this.ib + CI.transitionsDropped]!; }
  get relBaseClient(): number { return this.rows.i[this.ib + CI.relBaseClient]!; }
  get relBaseServer(): number { return this.rows.i[this.ib + CI.relBaseServer]!; }
  get evicted(): Eviction { return this.rows.i[this.ib + CI.evicted]! as Eviction; }
  get roleInferred(): boolean { return (this.rows.i[this.ib + CI.flags]! & CF_ROLE_INFERRED) !== 0; }
  get stateInferred(): boolean { return (this.rows.i[this.ib + CI.flags]! & CF_STATE_INFERRED) !== 0; }
  get relBaseKnown(): boolean { return (this.rows.i[this.ib + CI.flags]! & CF_REL_BASE_KNOWN) !== 0; }
  get lingering(): boolean { return (this.rows.i[this.ib + CI.flags]! & CF_LINGERING) !== 0; }
  get finalized(): boolean { return (this.rows.i[this.ib + CI.flags]! & CF_FINALIZED) !== 0; }

  /** Whether an arrival was taken back or moved: what the states were at a packet is its transitions', not what was seen then. */
  get rewritten(): boolean { return (this.rows.i[this.ib + CI.flags]! & CF_REWRITTEN) !== 0; }

  /** Where the capture was taken, as this connection's handshake shows it (Vantage; set as it leaves the table). */
  get vantage(): number { return this.rows.i[this.ib + CI.vantage]!; }

  /** Where its time went (tcp/timing.ts). */
  timing(): ConnectionTiming {
    return timingOf(this.timingInto(new Float64Array(TimingField.SIZE)));
  }

  /** Seconds from the client's first payload byte to the server's first; -1 when one sent none, or the server spoke first (a banner). */
  firstByte(): number {
    const i = this.rows.i;
    const f = this.rows.f;
    const cl = this.client;
    const sv = this.server;
    if ((i[cl.ib + EI.flags]! & i[sv.ib + EI.flags]! & EF_SENT_DATA) === 0) return -1;
    const first = f[sv.fb + EF.firstDataAt]! - f[cl.fb + EF.firstDataAt]!;
    return first >= 0 ? first : -1;
  }

  /** timing() into `t` (TimingField order; -1 where not known), without making objects. */
  timingInto(t: Float64Array): Float64Array {
    const i = this.rows.i;
    const f = this.rows.f;
    const ci = this.ib;
    const cf = this.fb;
    const cl = this.client;
    const sv = this.server;
    const irtt = f[cf + CF.irtt]!;
    const n = i[ci + CI.rttCount]!;
    t[TimingField.handshakeRtt] = irtt > 0 ? irtt : -1;
    t[TimingField.serverRtt] = f[cf + CF.serverRtt]!;
    t[TimingField.clientRtt] = f[cf + CF.clientRtt]!;
    t[TimingField.rttMin] = n > 0 ? f[cf + CF.rttMin]! : -1;
    t[TimingField.rttP50] = n > 0 ? rttMedian(i, ci)! : -1;
    t[TimingField.rttMax] = n > 0 ? f[cf + CF.rttMax]! : -1;
    t[TimingField.rttSamples] = n;
    t[TimingField.firstByte] = this.firstByte();
    t[TimingField.maxIdle] = f[cf + CF.maxIdle]! > 0 ? f[cf + CF.maxIdle]! : -1;
    t[TimingField.stallZeroWindow] = f[cf + CF.stallZeroWindow]!;
    t[TimingField.stallWindowFull] = f[cf + CF.stallWindowFull]!;
    t[TimingField.stallApplication] = f[cf + CF.stallApplication]!;
    t[TimingField.rtoClient] = i[cl.ib + EI.rtoCount]!;
    t[TimingField.rtoServer] = i[sv.ib + EI.rtoCount]!;
    t[TimingField.backoffClient] = i[cl.ib + EI.rtoBackoff]!;
    t[TimingField.backoffServer] = i[sv.ib + EI.rtoBackoff]!;
    t[TimingField.rtoIntervalClient] = f[cl.fb + EF.rtoInterval]!;
    t[TimingField.rtoIntervalServer] = f[sv.fb + EF.rtoInterval]!;
    return t;
  }

  /** The segments proved lost between the capture point and the side they were sent to, in packet order. */
  lost(): LostSegment[] {
    const i = this.rows.i;
    // Most connections lost nothing: no array for them.
    if (i[this.ib + CI.lostProved] === 0) return NO_LOST;
    const out: LostSegment[] = [];
    const n = Math.min(i[this.ib + CI.lostLen]!, LOST_ENTRIES);
    for (let m = 0; m < n; m++) {
      if ((i[this.ib + CI.lostProved]! & (1 << m)) === 0) continue;
      const side = (i[this.ib + CI.lostOwners]! >>> (4 * m)) & 1;
      out.push({ packet: this.rows.f[this.fb + CF.lost + m]!, before: side === 0 ? 'client' : 'server', provedBy: this.rows.f[this.fb + CF.lost + LOST_ENTRIES + m]! });
    }
    return out.sort((a, b) => a.packet - b.packet);
  }

  /** The evidence store's index of the packet in evidence slot `k` (detect/evidence.ts), -1 for none. */
  evidenceAt(k: number): number { return this.rows.i[this.ib + CI.evidence + k]!; }
  setEvidence(k: number, index: number): void { this.rows.i[this.ib + CI.evidence + k] = index; }

  /** Copies the whole row into `ints` from `iAt` and `floats` from `fAt` (for another thread), or back from them with `into`. */
  copyRow(ints: Int32Array, iAt: number, floats: Float64Array, fAt: number): void {
    // Loops: a row is short, and subarray() and set() would cost an object and a call into the runtime each.
    const i = this.rows.i;
    const f = this.rows.f;
    for (let k = 0; k < CONN_INTS; k++) ints[iAt + k] = i[this.ib + k]!;
    for (let k = 0; k < CONN_FLOATS; k++) floats[fAt + k] = f[this.fb + k]!;
  }

  loadRow(ints: Int32Array, iAt: number, floats: Float64Array, fAt: number): void {
    const i = this.rows.i;
    const f = this.rows.f;
    for (let k = 0; k < CONN_INTS; k++) i[this.ib + k] = ints[iAt + k]!;
    for (let k = 0; k < CONN_FLOATS; k++) f[this.fb + k] = floats[fAt + k]!;
  }

  /** Renumbers the connection (a worker's numbering becomes the capture's). */
  setId(id: number): void {
    this.rows.f[this.fb + CF.id] = id;
  }

  endpoint(side: number): Endpoint {
    return side === 0 ? this.client : this.server;
  }
}

/** Neither side holds the connection open any more (TIME_WAIT still waits for its 2MSL). */
export function isOver(c: Connection): boolean {
  return isGone(c.client.state) && isGone(c.server.state);
}

export function isGone(s: TcpState): boolean {
  return s === TcpState.CLOSED || s === TcpState.TIME_WAIT || s === TcpState.LISTEN;
}

/** Both sides CLOSED (or a listener that never took the connection). */
export function isFullyClosed(c: Connection): boolean {
  return isShut(c.client.state) && isShut(c.server.state);
}

export function isShut(s: TcpState): boolean {
  return s === TcpState.CLOSED || s === TcpState.LISTEN;
}

/**
 * A normal ending: an orderly close (TIME_WAIT on the active closer, or both CLOSED
 * without a reset), or a connection still established at both ends.
 */
/** lost() of a connection that lost nothing (shared: read, not written). */
export const NO_LOST: LostSegment[] = Object.freeze([]) as unknown as LostSegment[];

export function endedNormally(c: Connection): boolean {
  return endedNormallyRow(c.client.state, c.server.state, c.client.flags, c.server.flags);
}

/** endedNormally from both sides' states and flags (EI.flags). */
export function endedNormallyRow(a: TcpState, b: TcpState, fa: number, fb: number): boolean {
  if (((fa | fb) & EF_SENT_RST) !== 0) return false;
  if (a === TcpState.ESTABLISHED && b === TcpState.ESTABLISHED) return true;
  const closedA = a === TcpState.CLOSED || a === TcpState.TIME_WAIT;
  const closedB = b === TcpState.CLOSED || b === TcpState.TIME_WAIT;
  return closedA && closedB && (fa & EF_FIN_SENT) !== 0 && (fb & EF_FIN_SENT) !== 0;
}

/** Offsets of a connection's client and server state in its integer row. */
export const CLIENT_STATE = CI.SIZE + EI.state;
export const SERVER_STATE = CI.SIZE + EI.SIZE + EI.state;
