/**
 * The correlation model: what two captures of the same traffic, taken at two points of its path,
 * show together. correlate() builds it; the renderers (render.ts) read it; nothing here does any work.
 */
import type { CaptureError, Precision } from '../capture/index.js';
import type { TcpState } from '../tcp/index.js';

export const CORRELATE_SCHEMA = 'tcpstate.correlate/1';

/** The captures, in the order they were given: A first. */
export type Point = 'A' | 'B';

export interface DelayStats {
  min: number;
  p50: number;
  max: number;
  samples: number;
}

/** One segment as one capture saw it (the capture nearer its sender for `lost` and `notArrived`). */
export interface PathSegment {
  capture: Point;
  /** Its packet number in that capture. */
  packet: number;
  sec: number;
  nsec: number;
  from: 'client' | 'server';
  /** Absolute sequence and acknowledgment numbers, payload bytes, TCP flags. */
  seq: number;
  ack: number;
  len: number;
  flags: number;
}

export interface CorrelatedEndpoint {
  /** As the capture nearest this endpoint saw it (`capture`). */
  addr: string;
  port: number;
  state: TcpState;
  /** What the state may also be, when even the nearest capture cannot decide (most likely first, `state` included). */
  possibleStates: TcpState[];
  capture: Point;
  /** The same endpoint in the other capture, when a NAT between the points rewrote it. */
  translated: { addr: string; port: number } | null;
  /** The state the other capture alone gives it (with its alternatives): what correlating settled. */
  otherView: { state: TcpState; possibleStates: TcpState[] } | null;
}

export interface CorrelatedConnection {
  /** Its id in each capture, as `tcpstate analyze` of that file numbers it (null: not in that capture). */
  ids: { A: number | null; B: number | null };
  family: 4 | 6;
  client: CorrelatedEndpoint;
  server: CorrelatedEndpoint;
  /** The capture nearer the client; null where neither the connection nor the files tell. */
  nearClient: Point | null;
  /** Its first segment in the capture nearer the client (or the only one). */
  startSec: number;
  startNsec: number;
  segments: { A: number; B: number; matched: number };
  /** Seen near the sender, not near the receiver, while the other capture was running: lost between the points. */
  lost: PathSegment[];
  /** Seen near the sender too late to reach the other point before its capture stopped. */
  notArrived: PathSegment[];
  /** Seen at one point at a time the other capture had not started yet (or had stopped, for a segment seen near the receiver). */
  outsideOther: PathSegment[];
  /** Seen near the receiver and not near the sender: missed by that capture, or made between the points (an injected RST). */
  onlyNearReceiver: PathSegment[];
  oneWayDelay: { clientToServer: DelayStats | null; serverToClient: DelayStats | null };
  /** Its segments in order, for a ladder (HTML): the first MAX_RUNGS, when asked for; else null. */
  rungs: Rung[] | null;
}

/** What became of a segment between the two points. */
export type Fate = 'both' | 'lost' | 'notArrived' | 'outsideOther' | 'onlyNearReceiver';

export interface Rung {
  from: 'client' | 'server';
  flags: number;
  seq: number;
  ack: number;
  len: number;
  /** When it passed the point nearer its sender (or the only point that saw it), seconds on A's clock since A's first record's second. */
  at: number;
  /** Seconds from one point to the other (null unless seen at both). */
  transit: number | null;
  fate: Fate;
}

/** Rungs kept per connection. */
export const MAX_RUNGS = 400;

/**
 * The two clocks: B's time minus A's for the same instant. Where the matched segments allow zero
 * (no segment would arrive before it left), the clocks are taken as synchronized; otherwise the
 * offset is the middle of the interval they allow, which assumes the same path delay each way.
 */
export interface ClockEstimate {
  /** Seconds added to A's time to give B's, at A's first segment. */
  offset: number;
  /** Seconds per second B's clock gains on A's (null: too few segments to tell). */
  drift: number | null;
  /** The offsets the matched segments allow (a segment arrives after it leaves), or null when one direction has no segment. */
  bounds: { min: number; max: number } | null;
  synchronized: boolean;
  samples: number;
}

export interface PathLossFinding {
  kind: 'path_loss';
  severity: 'info' | 'warning' | 'critical';
  /** The client's address and the server's address:port, as the captures nearest them saw them. */
  client: string;
  server: string;
  family: 4 | 6;
  connections: number;
  /** The segments lost between the points, and those sent while the other capture was running, each way. */
  lost: { clientToServer: number; serverToClient: number };
  sent: { clientToServer: number; serverToClient: number };
  /** When the first and the last of them passed the point nearer their sender. */
  first: { sec: number; nsec: number };
  last: { sec: number; nsec: number };
  /** The first lost segments, with the connection (its ids). */
  evidence: { ids: { A: number | null; B: number | null }; segment: PathSegment }[];
}

export interface CorrelateInput {
  file: string;
  packets: number;
  segments: number;
  precision: Precision;
  first: { sec: number; nsec: number } | null;
  last: { sec: number; nsec: number } | null;
}

export interface CorrelateReport {
  tool: { name: string; version: string };
  inputs: [CorrelateInput, CorrelateInput];
  precision: Precision;
  /** The capture nearer the clients, from every connection that tells (null: they disagree, or none tells). */
  nearClient: Point | null;
  clock: ClockEstimate;
  /** Segments seen in both captures, and connections found in both, in one only. */
  matched: { segments: number; connections: number; onlyA: number; onlyB: number };
  /** Path delays over every connection, each way, on the clocks as estimated. */
  oneWayDelay: { clientToServer: DelayStats | null; serverToClient: DelayStats | null };
  connections: CorrelatedConnection[];
  findings: PathLossFinding[];
  thresholds: PathLossThresholds;
  /** What stopped the reading of a capture early (everything before it is correlated). */
  damage: CaptureError | null;
}

export interface PathLossThresholds {
  /** A pair's share of segments lost between the points, either way, from which path_loss is reported. */
  share: number;
  /** And at least this many segments. */
  segments: number;
  /** The share from which it is critical (warning below). */
  criticalShare: number;
}

export const DEFAULT_PATH_LOSS: PathLossThresholds = { share: 0.005, segments: 1, criticalShare: 0.05 };
