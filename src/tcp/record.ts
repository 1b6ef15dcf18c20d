import type { Connection, Eviction, LostSegment } from './connection.js';
import { TcpState } from './state.js';
import type { MptcpFacts } from './mptcp.js';
import type { ConnectionTiming } from './timing.js';

export type { ConnectionTiming, RtoCount } from './timing.js';

/** One side of a finished connection, as reports see it. Addresses stay numeric until rendered. */
export interface EndpointRecord {
  a0: number; a1: number; a2: number; a3: number;
  port: number;
  state: TcpState;
  packets: number;
  payloadBytes: number;
  wireBytes: number;
  /** Wireshark's TCP analysis of the segments this side sent (tcp.analysis.*). */
  analysis: SegmentAnalysis;
  /** Other states the side may be in at the end, most likely first, when the capture cannot tell (else empty); and why (Why). */
  possibleStates: TcpState[];
  why: number;
}

export interface SegmentAnalysis {
  retransmissions: number;
  outOfOrder: number;
  duplicateAcks: number;
  zeroWindows: number;
  keepAlives: number;
  /** ACKs of segments the capture never saw (capture loss, not network loss). */
  ackedUnseen: number;
  /** Segments after a gap the capture did not see ("previous segment not captured"). */
  lostSegments: number;
}

export const ANALYSIS_FIELDS = ['retransmissions', 'outOfOrder', 'duplicateAcks', 'zeroWindows', 'keepAlives', 'ackedUnseen', 'lostSegments'] as const;

export interface ConnectionRecord {
  id: number;
  family: 4 | 6;
  client: EndpointRecord;
  server: EndpointRecord;
  roleInferred: boolean;
  stateInferred: boolean;
  /** Tunnels, 4 bits each, outermost first (see decode's Encap); 0 for none. */
  encap: number;
  firstPacket: number;
  lastPacket: number;
  startSec: number;
  startNsec: number;
  endSec: number;
  endNsec: number;
  /** Flat, TRANSITION_FIELDS per transition (see connection.ts); null when not kept. */
  transitions: ArrayLike<number> | null;
  transitionsDropped: number;
  normalEnd: boolean;
  /** Left the table while still open (idle, or a full table); its states are its last known ones. */
  evicted: Eviction;
  /** Segments the wire showed lost on their way to a side (kept with the transitions). */
  lost: LostSegment[];
  /** Where the capture was taken, as its handshake shows it (vantage.ts's Vantage). */
  vantage: number;
  /** The client sent a SYN that the server never answered with a SYN,ACK in this connection. */
  synNotAnswered: boolean;
  /** Its MPTCP facts (tcp/mptcp.ts) when it is a subflow of an MPTCP connection, else null. */
  mptcp: MptcpFacts | null;
  timing: ConnectionTiming;
}

/** The client sent a SYN and the server no SYN,ACK (whether the port listens is then another connection's fact). */
export function synNotAnswered(c: Connection): boolean {
  return c.client.hasVisited(TcpState.SYN_SENT) && !c.roleInferred && !c.server.synAckSent;
}

export function endpointRecord(c: Connection, side: 0 | 1): EndpointRecord {
  const e = c.endpoint(side);
  return {
    a0: e.a0, a1: e.a1, a2: e.a2, a3: e.a3, port: e.port, state: e.state, packets: e.packets, payloadBytes: e.payloadBytes, wireBytes: e.wireBytes,
    possibleStates: e.possibleStates(), why: e.why,
    analysis: {
      retransmissions: e.retransmissions, outOfOrder: e.outOfOrder, duplicateAcks: e.dupAcks, zeroWindows: e.zeroWindows,
      keepAlives: e.keepAlives, ackedUnseen: e.ackedUnseen, lostSegments: e.lostSegments,
    },
  };
}
