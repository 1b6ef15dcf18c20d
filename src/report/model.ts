/**
 * The report model: what an analysis found, as every renderer (text, JSON, Markdown, HTML, Zeek)
 * and the CI checks read it. analyze() builds it; nothing here does any work.
 */
import type { CaptureError, Precision } from '../capture/index.js';
import type { ConnectionRecord, MptcpSubflow } from '../tcp/index.js';
import type { DetectConfig, Finding, ServerTableReport } from '../detect/index.js';
import type { ZeekRecord } from '../zeek/index.js';
import type { GraphSeries } from './graphs.js';

export interface Timestamp {
  sec: number;
  nsec: number;
}

export interface InputReport {
  file: string;
  format: 'pcap' | 'pcapng' | 'unknown';
  compressed: boolean;
  precision: Precision;
  linkTypes: string[];
  /** Those of its link types tcpstate does not decode (their packets are counted under `linktype-<name>`). */
  linkTypesNotDecoded: string[];
  packets: number;
}

export interface Summary {
  packets: number;
  tcpPackets: number;
  notDecoded: Record<string, number>;
  ipFragments: number;
  connections: number;
  /** Connections that did not end normally (resets, half-closed, unanswered, ...). */
  abnormal: number;
  /** Connections still open (not CLOSED/TIME_WAIT on both sides) at the end of the capture. */
  openAtEnd: number;
  roleInferred: number;
  stateInferred: number;
  firstTs: Timestamp | null;
  lastTs: Timestamp | null;
  limits: LimitsSummary;
}

/** What the connection table's bounds did to this analysis. */
export interface LimitsSummary {
  maxConnections: number;
  /** Seconds, or null for never. */
  idleTimeout: number | null;
  /** The most connections followed at once. */
  peakLive: number;
  /** Connections that left the table while still open, for lack of packets or of room; their last states count as their end states. */
  evictedIdle: number;
  evictedFull: number;
  maxRows: number;
  /** Connections after the first maxRows, when rows are kept: counted in every total and finding, but without a row of their own. */
  summarised: number;
}

/** One evidence packet of a finding, printed as `tcpstate print` prints it. */
export interface EvidenceLine {
  packet: number;
  ts: Timestamp;
  line: string;
  /** Set when the wire showed this segment lost on its way: which side it never reached, and the packet that showed it. */
  lost: { before: 'client' | 'server'; provedBy: number } | null;
}

/** A finding as reported: its data, with its sentence and endpoint written and its evidence printed. */
export interface ReportFinding extends Omit<Finding, 'endpoint' | 'evidence'> {
  /** One sentence a person can paste into an incident report. */
  summary: string;
  /** The address:port concerned (a server endpoint, or a scanning source's address), or null. */
  endpoint: string | null;
  evidence: EvidenceLine[];
}

/** Where the capture was taken, from the handshakes (tcp/vantage.ts): how many connections say each, and the estimate (most of them). */
export interface CapturePoint {
  estimate: 'client' | 'server' | 'between' | null;
  nearClient: number;
  nearServer: number;
  between: number;
  unknown: number;
}

export interface Report {
  tool: { name: string; version: string };
  /** A title and a line of context for the report's header (an incident id, what happened), given by whoever asked for it. */
  title?: string | null;
  note?: string | null;
  /** Set when addresses (and ports) are pseudonyms and file names left out (--redact): the header says so. */
  redacted?: 'addresses' | 'ports' | null;
  capturePoint: CapturePoint;
  /** Whether a server endpoint answered any SYN with a SYN,ACK in the capture (it was seen listening). */
  listenerSeen(c: ConnectionRecord): boolean;
  inputs: InputReport[];
  /** The finest timestamp precision among the inputs; timestamps are printed with it. */
  precision: Precision;
  msl: number;
  summary: Summary;
  /** End-state counts: matrix[clientState][serverState]. */
  matrix: number[][];
  /** Connections that did not end normally, then the others; each list in id order and bounded. */
  notable: ConnectionRecord[];
  /** Every connection in id order, when the analysis kept them all (`keep: 'all'`). */
  connections: (() => Iterable<ConnectionRecord>) | null;
  transitionsKept: boolean;
  /** Bytes kept per finished connection in the compact store. */
  storeBytes: number;
  /** Why reading stopped early, if it did; everything before it is in the report. */
  damage: CaptureError | null;
  /** Zeek's conn.log records for the TCP connections, when asked for (`zeek` option), in order of first packet. */
  zeek: ZeekRecord[] | null;
  /** The MPTCP subflows among the connections, by connection id: their MPTCP connection, their place in it, its token. */
  mptcp: Map<number, MptcpSubflow>;
  /** Findings, most severe first; empty when detection was turned off. */
  findings: ReportFinding[];
  /** The thresholds the findings were judged by (null when detection was off). */
  thresholds: DetectConfig | null;
  /** Per timelineStep of capture time: SYNs, SYN,ACKs, RSTs and FINs seen ([start second, syn, synAck, rst, fin]), in time order. */
  timeline: [number, number, number, number, number][];
  /** Seconds each timeline row spans (1/256 s, wider for a long capture). */
  timelineStep: number;
  /** Connections by server endpoint, those with the most problems first (detect/servers.ts). */
  servers: ServerTableReport;
  /** The segments of the connections an HTML page graphs, by connection id (report/graphs.ts); null when not read. */
  graphs: Map<number, GraphSeries> | null;
}
