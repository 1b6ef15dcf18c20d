import { Endpoint } from './endpoint.js';
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
/** How many evidence packets a connection can hold (see detect/evidence.ts for what each slot is). */
export const EVIDENCE_SLOTS = 12;

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

/** A connection that keeps changing state (resets answered by resets, ...) stops recording past this. */
export const MAX_TRANSITIONS = 64;

/**
 * One incarnation of a four-tuple. The client is the side that sent the initial SYN
 * (or the side inferred to be the client when the handshake was not captured).
 */
export class Connection {
  readonly client: Endpoint;
  readonly server: Endpoint;
  roleInferred = false;
  stateInferred = false;
  /** Tunnels its first packet came through (DecodedPacket.encap); 0 for none. */
  encap = 0;

  firstPacket = 0;
  lastPacket = 0;
  startSec = 0;
  startNsec = 0;
  endSec = 0;
  endNsec = 0;

  /** Packet number and time of the event being applied, read when a transition is recorded. */
  curPacket = 0;
  curSec = 0;
  curNsec = 0;

  /**
   * packet (0 for a timer), sec, nsec, packTransition(...); repeated. The array is kept when the
   * object is reused: its first `transitionLen` entries are this connection's.
   */
  readonly transitions: number[] = [];
  transitionLen = 0;
  transitionsDropped = 0;

  /** Handshake round trip (first SYN to the ACK that completes it), in seconds; 0 until known. */
  irtt = -0;
  /** tcpdump's relative-sequence bases (set by the first ACK-bearing segment and by every SYN,ACK). */
  relBaseKnown = false;
  relBaseClient = 0;
  relBaseServer = 0;
  /** Packets kept as evidence for later stages: indices into their packet store, -1 for none. */
  readonly evidence = new Int32Array(EVIDENCE_SLOTS).fill(-1);


  /** Where the connection table keeps it (the object stays there, for reuse, after it finishes). */
  slot = 0;
  /** The table's list of live connections, least recently active first (for eviction). */
  lruPrev: Connection | null = null;
  lruNext: Connection | null = null;
  /** Why the connection left the table before it was over (Eviction), or Eviction.None. */
  evicted: Eviction = Eviction.None;
  /** Waiting in the table's timer queue to be finalized once it has been quiet long enough. */
  lingering = false;
  finalized = false;

  constructor(public id: number, public family: 4 | 6) {
    this.client = new Endpoint(0, TcpState.CLOSED);
    this.server = new Endpoint(1, TcpState.LISTEN);
  }

  /**
   * Makes this object a fresh connection again. The table reuses the objects of finished
   * connections, so that a long capture allocates only as many as are ever live at once.
   * Every field above is set again here (a test holds the two lists to each other).
   */
  reset(id: number, family: 4 | 6): void {
    this.id = id;
    this.family = family;
    this.client.reset(TcpState.CLOSED);
    this.server.reset(TcpState.LISTEN);
    this.roleInferred = false;
    this.stateInferred = false;
    this.encap = 0;
    this.firstPacket = 0;
    this.lastPacket = 0;
    this.startSec = 0;
    this.startNsec = 0;
    this.endSec = 0;
    this.endNsec = 0;
    this.curPacket = 0;
    this.curSec = 0;
    this.curNsec = 0;
    this.transitionLen = 0;
    this.transitionsDropped = 0;
    this.irtt = -0;
    this.relBaseKnown = false;
    this.relBaseClient = 0;
    this.relBaseServer = 0;
    // `evidence` needs no reset: whoever fills slots empties them before the connection leaves the table.
    this.lruPrev = null;
    this.lruNext = null;
    this.evicted = Eviction.None;
    this.lingering = false;
    this.finalized = false;
  }

  /** Sets the packet (0 for a timer) and time of the event about to be applied. */
  at(packet: number, sec: number, nsec: number): void {
    this.curPacket = packet;
    this.curSec = sec;
    this.curNsec = nsec;
  }

  endpoint(side: number): Endpoint {
    return side === 0 ? this.client : this.server;
  }
}

/** Neither side holds the connection open any more (TIME_WAIT still waits for its 2MSL). */
export function isOver(c: Connection): boolean {
  return isGone(c.client.state) && isGone(c.server.state);
}

function isGone(s: TcpState): boolean {
  return s === TcpState.CLOSED || s === TcpState.TIME_WAIT || s === TcpState.LISTEN;
}

/** Both sides CLOSED (or a listener that never took the connection). */
export function isFullyClosed(c: Connection): boolean {
  const a = c.client.state;
  const b = c.server.state;
  return (a === TcpState.CLOSED || a === TcpState.LISTEN) && (b === TcpState.CLOSED || b === TcpState.LISTEN);
}

/**
 * A normal ending: an orderly close (TIME_WAIT on the active closer, or both CLOSED
 * without a reset), or a connection still established at both ends.
 */
export function endedNormally(c: Connection): boolean {
  if (c.client.sentRst || c.server.sentRst) return false;
  const a = c.client.state;
  const b = c.server.state;
  if (a === TcpState.ESTABLISHED && b === TcpState.ESTABLISHED) return true;
  const closedA = a === TcpState.CLOSED || a === TcpState.TIME_WAIT;
  const closedB = b === TcpState.CLOSED || b === TcpState.TIME_WAIT;
  return closedA && closedB && c.client.finSent && c.server.finSent;
}
