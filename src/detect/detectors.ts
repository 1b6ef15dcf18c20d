import type { PacketBatch } from '../capture/index.js';
import { type DecodedPacket, TH_FIN, TH_RST, TH_SYN } from '../decode/packet.js';
import { type Connection, endedNormally, isOver } from '../tcp/connection.js';
import type { ConnectionTable } from '../tcp/table.js';
import type { Endpoint } from '../tcp/endpoint.js';
import { addDwell } from '../tcp/machine.js';
import { CLOSE_WAIT_LEAK } from './close-wait-leak.js';
import { ClosingDetector } from './closing.js';
import type { DetectConfig } from './config.js';
import { ConnectionRefusedDetector } from './connection-refused.js';
import { EvidenceStore } from './evidence.js';
import { FIN_WAIT_1_STUCK } from './fin-wait-1-stuck.js';
import { FIN_WAIT_2_STUCK } from './fin-wait-2-stuck.js';
import { FINDING_KINDS, type Finding, SEVERITIES } from './finding.js';
import { Folded } from './folded.js';
import { HalfOpenDetector } from './half-open.js';
import { LAST_ACK_LOST } from './last-ack-lost.js';
import { PortScanDetector } from './port-scan.js';
import { ResetDetector } from './reset.js';
import { SimultaneousCloseDetector } from './simultaneous-close.js';
import { SynFloodDetector } from './syn-flood.js';
import { SynUnansweredDetector } from './syn-unanswered.js';
import { TimeWaitPileupDetector } from './time-wait-pileup.js';

/** The state a side is still in counts up to `now`. */
function dwellUntil(e: Endpoint, now: number): void {
  if (now > e.stateSince) addDwell(e, e.state, now - e.stateSince);
  e.stateSince = now;
}

/** Connections that ended normally, in the order they did, waiting to have their evidence settled. */
class SettleQueue {
  length = 0;
  readonly conn: (Connection | null)[] = [];
  readonly id: number[] = [];
  readonly time: number[] = [];

  /** Forgets the first `n` entries. */
  drop(n: number): void {
    const rest = this.length - n;
    this.conn.copyWithin(0, n, this.length);
    this.id.copyWithin(0, n, this.length);
    this.time.copyWithin(0, n, this.length);
    this.conn.fill(null, rest, this.length);
    this.length = rest;
  }

  push(c: Connection, id: number, time: number): void {
    const i = this.length++;
    this.conn[i] = c;
    this.id[i] = id;
    this.time[i] = time;
  }
}

/** Seconds after a normal end before its evidence is settled (a FIN retransmitted after a lost ACK comes sooner). */
const SETTLE_SECONDS = 0.5;

/**
 * The detector stage: sees each segment after the connection table (segment(): evidence and
 * settling) and every connection once, as it leaves the table (finished()), keeping aggregates per
 * endpoint, bounded by endpoints and by the detectors' own windows, not by connections.
 */
export class Detectors {
  readonly evidence = new EvidenceStore();
  private readonly settleQueue = new SettleQueue();
  private settleHead = 0;
  private readonly flood: SynFloodDetector;
  private readonly scan: PortScanDetector;
  private readonly refused: ConnectionRefusedDetector;
  private readonly unanswered: SynUnansweredDetector;
  private readonly halfOpen: HalfOpenDetector;
  private readonly reset: ResetDetector;
  private readonly closing: ClosingDetector[];
  private readonly simultaneous: SimultaneousCloseDetector;
  private readonly timeWait: TimeWaitPileupDetector;

  constructor(config: DetectConfig, msl: number) {
    const ev = this.evidence;
    this.flood = new SynFloodDetector(config, ev);
    this.scan = new PortScanDetector(config, ev);
    this.refused = new ConnectionRefusedDetector(config, ev);
    this.unanswered = new SynUnansweredDetector(config, ev);
    this.halfOpen = new HalfOpenDetector(config, ev);
    this.reset = new ResetDetector(config, ev);
    this.closing = [CLOSE_WAIT_LEAK, FIN_WAIT_2_STUCK, FIN_WAIT_1_STUCK, LAST_ACK_LOST].map((k) => new ClosingDetector(k, config, ev));
    this.simultaneous = new SimultaneousCloseDetector(config, ev);
    this.timeWait = new TimeWaitPileupDetector(config, ev, msl);
  }

  /**
   * Each TCP segment, after the connection table applied it. Most segments (data and its ACKs)
   * neither fill an evidence slot nor change a state: they leave after two tests.
   */
  segment(t: ConnectionTable, p: DecodedPacket, batch: PacketBatch, i: number, n: number, now: number): void {
    const c = t.current!;
    const cl = c.client;
    const sv = c.server;
    if ((p.flags & (TH_SYN | TH_FIN | TH_RST)) !== 0 || t.analysis !== 0 || !c.relBaseKnown || cl.finSent || sv.finSent) {
      this.evidence.packet(c, t.currentFromClient, p, batch.data[i]!, batch.path, batch.dataOffset[i]!, batch.linkType[i]!,
        n, batch.sec[i]!, batch.nsec[i]!, t.analysis, t.clientBefore, t.serverBefore);
    }
    if (cl.state !== t.clientBefore || sv.state !== t.serverBefore) this.afterSegment(c, now);
  }

  /**
   * After a segment that changed a state of `c`, at time `now`. A connection that ended normally lingers in the
   * table for 2MSL; its evidence is settled SETTLE_SECONDS after it ended (late enough for a
   * retransmitted FIN to show a lost ACK first): the detectors that may still report it take
   * what they want, and the rest is freed. Memory for evidence then follows open connections only.
   */
  afterSegment(c: Connection, now: number): void {
    const q = this.settleQueue;
    while (q.length > this.settleHead && q.time[this.settleHead]! <= now - SETTLE_SECONDS) {
      const h = this.settleHead++;
      const old = q.conn[h]!;
      q.conn[h] = null;
      if (old.id === q.id[h] && !old.finalized) {
        old.settleQueued = false;
        if (isOver(old) && endedNormally(old)) this.settle(old);
      }
    }
    if (this.settleHead === q.length) {
      q.length = 0;
      this.settleHead = 0;
    } else if (this.settleHead > 4096 && this.settleHead * 2 > q.length) {
      // Under steady traffic the queue never empties: drop the settled front, so it holds only the last SETTLE_SECONDS.
      q.drop(this.settleHead);
      this.settleHead = 0;
    }
    if (!c.settleQueued && isOver(c) && endedNormally(c)) {
      c.settleQueued = true;
      q.push(c, c.id, now);
    }
  }

  private settle(c: Connection): void {
    this.timeWait.closed(c);
    this.simultaneous.closed(c);
    this.evidence.releaseAll(c);
  }

  /** `c` leaves the table at time `now` (its last timer, or the end of the capture); its evidence slots are freed after. */
  finished(c: Connection, now: number): void {
    dwellUntil(c.client, now);
    dwellUntil(c.server, now);
    this.flood.connection(c);
    this.scan.connection(c);
    // An orderly close (or a connection open at both ends and quiet) cannot be refused, reset or half-open;
    // it can still have lingered in a closing state, or piled up TIME_WAIT.
    if (!endedNormally(c) || c.client.unanswered > 0 || c.server.unanswered > 0) {
      this.refused.connection(c);
      this.unanswered.connection(c);
      this.halfOpen.connection(c);
      this.reset.connection(c);
    }
    for (const d of this.closing) d.connection(c);
    this.simultaneous.connection(c);
    this.timeWait.connection(c);
    this.evidence.releaseAll(c);
  }

  /** Every finding, most severe first; within a severity by kind, then by connections involved. */
  findings(): Finding[] {
    const all = [...this.flood.findings(), ...this.scan.findings()];
    const folded = new Folded(this.flood.flooded, this.scan.scanners);
    all.push(...this.refused.findings(folded), ...this.unanswered.findings(folded), ...this.halfOpen.findings(folded),
      ...this.reset.findings());
    for (const d of this.closing) all.push(...d.findings());
    all.push(...this.simultaneous.findings(), ...this.timeWait.findings());
    const count = (f: Finding) => (typeof f.counts.connections === 'number' ? f.counts.connections : 0);
    return all.sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
      FINDING_KINDS.indexOf(a.kind) - FINDING_KINDS.indexOf(b.kind) || count(b) - count(a) ||
      (a.endpoint ?? '').localeCompare(b.endpoint ?? ''));
  }
}
