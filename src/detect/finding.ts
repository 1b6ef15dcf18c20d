import type { Connection } from '../tcp/connection.js';
import type { Endpoint } from '../tcp/endpoint.js';
import type { EvidencePacket, EvidenceStore, Slot } from './evidence.js';

/** The finding kinds; the names are a contract of the JSON report. */
export const FINDING_KINDS = [
  'syn_flood', 'port_scan', 'half_open', 'connection_refused', 'reset', 'close_wait_leak', 'fin_wait_2_stuck',
  'fin_wait_1_stuck', 'last_ack_lost', 'syn_unanswered', 'zero_window_stall', 'time_wait_pileup', 'simultaneous_close',
  'slow_handshake', 'rto_backoff', 'high_retransmission',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Timestamp {
  sec: number;
  nsec: number;
}

/**
 * What a finding is about: a server endpoint (address and port), a source's address alone (a
 * scanner's), or the endpoints past the first MAX_ENDPOINTS, counted together.
 */
export type FindingPlace =
  | { of: 'endpoint' | 'address'; family: 4 | 6; a0: number; a1: number; a2: number; a3: number; port: number }
  | { of: 'overflow'; after: number };

/**
 * One finding as detectors produce it: data only. The report writes its sentence and its
 * endpoint, and prints its evidence packets.
 */
export interface Finding {
  kind: FindingKind;
  severity: Severity;
  endpoint: FindingPlace | null;
  /** Connection ids, ascending, at most `connectionIds` of the config; `counts.connections` is the exact number. */
  connections: number[];
  first: Timestamp | null;
  last: Timestamp | null;
  counts: Record<string, number | boolean | string | Record<string, number>>;
  evidence: EvidencePacket[];
}

/** critical ≥ critical count, warning ≥ warning count, info below. */
export function severityOf(count: number, t: { warning: number; critical: number }): Severity {
  if (count >= t.critical) return 'critical';
  if (count >= t.warning) return 'warning';
  return 'info';
}

/** A map key for an endpoint (address and port) without building a string for IPv4. */
export function endpointKey(family: 4 | 6, e: Pick<Endpoint, 'a0' | 'a1' | 'a2' | 'a3' | 'port'>): number | string {
  return family === 4 ? (e.a0 >>> 0) * 65536 + e.port : `${e.a0},${e.a1},${e.a2},${e.a3},${e.port}`;
}

/** A map key for an address alone. */
export function addressKey(family: 4 | 6, e: Pick<Endpoint, 'a0' | 'a1' | 'a2' | 'a3'>): number | string {
  return family === 4 ? e.a0 >>> 0 : `${e.a0},${e.a1},${e.a2},${e.a3}`;
}

/**
 * The connections behind one finding on one endpoint: exact counts, the first ids, the time span
 * and up to `evidence` packets from the first connections. Its size is bounded whatever the capture.
 */
export class Aggregate {
  readonly ids: number[] = [];
  count = 0;
  /** Connections past the kind's per-connection threshold (they set the severity). */
  qualifying = 0;
  firstSec = Infinity;
  firstNsec = 0;
  lastSec = -Infinity;
  lastNsec = 0;
  readonly counts: Record<string, number> = {};
  readonly evidence: EvidencePacket[] = [];
  /** The clients' address when they all share one (a scanner's), else null; undefined before the first. */
  source: number | string | null | undefined = undefined;
  readonly place: FindingPlace;

  /** `overflow`: the aggregate of the endpoints past MAX_ENDPOINTS, not of `e`'s alone. */
  constructor(family: 4 | 6, e: Endpoint, overflow = false) {
    this.place = overflow ? { of: 'overflow', after: MAX_ENDPOINTS }
      : { of: 'endpoint', family, a0: e.a0, a1: e.a1, a2: e.a2, a3: e.a3, port: e.port };
  }

  add(c: Connection, qualifies: boolean, idLimit: number): void {
    this.addEarlier(c.id, c.startSec, c.startNsec, qualifies, idLimit);
    if (c.endSec > this.lastSec || (c.endSec === this.lastSec && c.endNsec > this.lastNsec)) {
      this.lastSec = c.endSec;
      this.lastNsec = c.endNsec;
    }
    const src = addressKey(c.family, c.client);
    if (this.source === undefined) this.source = src;
    else if (this.source !== src) this.source = null;
  }

  /** A connection known only by its id and start, from before this aggregate existed. */
  addEarlier(id: number, startSec: number, startNsec: number, qualifies: boolean, idLimit: number): void {
    this.count++;
    if (qualifies) this.qualifying++;
    if (this.ids.length < idLimit) this.ids.push(id);
    if (startSec < this.firstSec || (startSec === this.firstSec && startNsec < this.firstNsec)) {
      this.firstSec = startSec;
      this.firstNsec = startNsec;
    }
  }

  bump(name: string, n = 1): void {
    this.counts[name] = (this.counts[name] ?? 0) + n;
  }

  max(name: string, v: number): void {
    if (!(name in this.counts) || v > this.counts[name]!) this.counts[name] = v;
  }

  /** Adds the packets of `slots` of `c`, while the finding has room; one connection gives at most `perConnection`. */
  takeEvidence(store: EvidenceStore, c: Connection, slots: readonly Slot[], limit: number, perConnection = slots.length): void {
    if (this.evidence.length >= limit) return;
    let taken = 0;
    for (const s of slots) {
      if (this.evidence.length >= limit || taken >= perConnection) return;
      const e = store.get(c, s);
      if (e === null || this.evidence.some((x) => x.packet === e.packet)) continue;
      this.evidence.push(e);
      taken++;
    }
  }

  finding(kind: FindingKind, severity: Severity, counts: Finding['counts']): Finding {
    const ids = [...this.ids].sort((a, b) => a - b);
    return {
      kind, severity, endpoint: this.place, connections: ids,
      first: this.count ? { sec: this.firstSec, nsec: this.firstNsec } : null,
      last: this.count ? { sec: this.lastSec, nsec: this.lastNsec } : null,
      counts: { connections: this.count, ...counts },
      evidence: [...this.evidence].sort((a, b) => a.packet - b.packet),
    };
  }
}

/**
 * The last address (and port) looked up and what was found for it: a busy server's connections
 * come one after another, and a map lookup with a key built from them costs more than this test.
 */
export class LastLookup<T> {
  private a0 = 0;
  private a1 = 0;
  private a2 = 0;
  private a3 = 0;
  private port = -1;
  value: T | null = null;

  /** Whether `e` (with its port unless `withPort` is false) is the one remembered. */
  is(e: Endpoint, withPort = true): boolean {
    return this.value !== null && e.a0 === this.a0 && e.a1 === this.a1 && e.a2 === this.a2 && e.a3 === this.a3 &&
      (!withPort || e.port === this.port);
  }

  remember(e: Endpoint, value: T): T {
    this.a0 = e.a0;
    this.a1 = e.a1;
    this.a2 = e.a2;
    this.a3 = e.a3;
    this.port = e.port;
    this.value = value;
    return value;
  }
}

/**
 * Endpoints a detector follows one by one. A capture of a sweep (SYNs to a million addresses) or of
 * a flood at a million spoofed servers would otherwise make an aggregate per endpoint: past this
 * many, the rest share one aggregate, OVERFLOW_KEY, still counted exactly but no longer apart.
 */
export const MAX_ENDPOINTS = 10_000;
export const OVERFLOW_KEY = '*';

/** `key`, or OVERFLOW_KEY when `map` has no room left for a key it does not hold yet. */
export function boundedKey(map: ReadonlyMap<number | string, unknown>, key: number | string): number | string {
  return map.size < MAX_ENDPOINTS || map.has(key) ? key : OVERFLOW_KEY;
}

/** Aggregates by key, made on first use; bounded by MAX_ENDPOINTS. */
export class AggregateMap {
  readonly map = new Map<number | string, Aggregate>();

  get(key: number | string, family: 4 | 6, e: Endpoint): Aggregate {
    let a = this.map.get(key);
    if (a === undefined) {
      const k = boundedKey(this.map, key);
      a = this.map.get(k);
      if (a === undefined) {
        a = new Aggregate(family, e, k === OVERFLOW_KEY);
        this.map.set(k, a);
      }
    }
    return a;
  }
}
