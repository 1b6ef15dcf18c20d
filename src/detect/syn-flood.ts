import type { Connection } from '../tcp/connection.js';
import { TcpState } from '../tcp/state.js';
import { clientOpened, handshakeFailed, refused } from './classify.js';
import type { DetectConfig } from './config.js';
import { Slot, type EvidenceStore } from './evidence.js';
import { DistinctAddresses } from './distinct.js';
import { Aggregate, boundedKey, endpointKey, OVERFLOW_KEY, type Finding, LastLookup } from './finding.js';
import { peaks, SecondCounts } from './seconds.js';
import { fromScanner } from './folded.js';

/** Distinct sources are counted exactly up to this many per endpoint, then estimated (DistinctAddresses). */
const MAX_SOURCES = 100000;

class FloodTracker {
  readonly failed: Aggregate;
  /** SYNs of failed handshakes per whole second of their connection's start. */
  readonly buckets = new SecondCounts();
  readonly sources = new DistinctAddresses(MAX_SOURCES);
  syns = 0;
  synAcked = 0;
  neverAnswered = 0;
  synAckRetransmits = 0;
  serverResets = 0;
  unanswered = 0;
  halfOpen = 0;
  synEvidence = 0;
  otherEvidence = 0;

  constructor(c: Connection, overflow: boolean) {
    this.failed = new Aggregate(c.family, c.server, overflow);
  }
}

/**
 * syn_flood: a server endpoint receiving SYNs whose handshakes do not complete, at a rate above
 * the threshold averaged over the window. Completed handshakes never count: a legitimate burst is not a flood.
 */
export class SynFloodDetector {
  private readonly trackers = new Map<number | string, FloodTracker>();
  private readonly completed = new Map<number | string, { n: number }>();
  private readonly lastCompleted = new LastLookup<{ n: number }>();
  /** Endpoints found flooded, for other detectors to fold their failed handshakes into the flood. */
  readonly flooded = new Set<number | string>();

  constructor(private readonly config: DetectConfig, private readonly evidence: EvidenceStore) {}

  connection(c: Connection): void {
    if (!clientOpened(c)) return;
    if (!handshakeFailed(c)) {
      const last = this.lastCompleted;
      if (last.is(c.server)) {
        last.value!.n++;
        return;
      }
      const k = boundedKey(this.completed, endpointKey(c.family, c.server));
      let count = this.completed.get(k);
      if (count === undefined) this.completed.set(k, (count = { n: 0 }));
      last.remember(c.server, count).n++;
      return;
    }
    const key = boundedKey(this.trackers, endpointKey(c.family, c.server));
    let t = this.trackers.get(key);
    if (t === undefined) {
      t = new FloodTracker(c, key === OVERFLOW_KEY);
      this.trackers.set(key, t);
    }
    const cl = c.client;
    const sv = c.server;
    // SYNs captured: a connection known only from its SYN,ACK (its SYN came before the capture, or before
    // the connection was evicted and its tuple seen again) adds none, so the count stays exact.
    const syns = (c.stateInferred ? 0 : 1) + cl.synRetransmits;
    t.failed.add(c, true, this.config.connectionIds);
    t.syns += syns;
    t.buckets.add(c.startSec, syns);
    t.sources.add(c.family, cl);
    if (sv.synAckSent) {
      t.synAcked++;
      if (cl.packets === syns && !cl.sentRst) t.neverAnswered++;
    }
    t.synAckRetransmits += sv.synRetransmits;
    if (refused(c)) t.serverResets++;
    else if (sv.packets === 0) t.unanswered++;
    else if (sv.state === TcpState.SYN_RCVD) t.halfOpen++;
    const limit = this.config.evidence;
    if (t.synEvidence < Math.ceil(limit / 2)) {
      const before = t.failed.evidence.length;
      t.failed.takeEvidence(this.evidence, c, [Slot.Syn], limit);
      t.synEvidence += t.failed.evidence.length - before;
    }
    if (t.otherEvidence < Math.floor(limit / 2) && (sv.synRetransmits > 0 || sv.sentRst)) {
      const before = t.failed.evidence.length;
      t.failed.takeEvidence(this.evidence, c, [Slot.SynAck, Slot.TroubleLastServer, Slot.Rst], limit, 2);
      t.otherEvidence += t.failed.evidence.length - before;
    }
  }

  /** Decides which endpoints were flooded; call before the other detectors' findings. */
  findings(scanners: ReadonlySet<number | string>): Finding[] {
    const out: Finding[] = [];
    const cfg = this.config.synFlood;
    const window = Math.max(1, Math.ceil(cfg.window));
    for (const [key, t] of this.trackers) {
      const { second: peakSecond, window: peakWindow } = peaks(t.buckets, window);
      const windowRate = peakWindow / window;
      if (windowRate < cfg.rate) continue;
      if (fromScanner(t.failed, scanners)) continue;
      this.flooded.add(key);
      const a = t.failed;
      const span = Math.max(1, a.lastSec - a.firstSec + (a.lastNsec - a.firstNsec) * 1e-9);
      const completed = this.completed.get(key)?.n ?? 0;
      const completedShare = completed / (completed + a.count);
      const sources = t.sources.size;
      const spoofed = (t.synAcked === 0 || t.neverAnswered / t.synAcked >= 0.9) && sources >= 0.5 * a.count;
      const severity = windowRate >= cfg.criticalRate ? 'critical' : 'warning';

      out.push(a.finding('syn_flood', severity, {
        syns: t.syns,
        peakRate: peakSecond,
        windowRate: Math.round(windowRate * 10) / 10,
        meanRate: Math.round((t.syns / span) * 10) / 10,
        sources,
        sourcesEstimated: t.sources.estimated,
        completedHandshakes: completed,
        completedShare: Math.round(completedShare * 10000) / 10000,
        synAckRetransmissions: t.synAckRetransmits,
        serverResets: t.serverResets,
        unanswered: t.unanswered,
        halfOpen: t.halfOpen,
        synAcked: t.synAcked,
        neverAnsweredSynAck: t.neverAnswered,
        spoofed,
      }));
    }
    return out;
  }
}
