import type { Connection } from '../tcp/connection.js';
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

/**
 * The detector stage: sees every connection once, as it leaves the connection table, and keeps
 * per-endpoint aggregates (bounded by endpoints, not by connections). Evidence packets are kept
 * by `evidence`, which the analysis feeds with every segment.
 */
export class Detectors {
  readonly evidence = new EvidenceStore();
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

  /** `c` leaves the table at time `now` (its last timer, or the end of the capture); its evidence slots are freed after. */
  finished(c: Connection, now: number): void {
    for (const e of [c.client, c.server]) {
      // The state a side is still in counts up to now.
      if (now > e.stateSince) addDwell(e, e.state, now - e.stateSince);
      e.stateSince = now;
    }
    this.flood.connection(c);
    this.scan.connection(c);
    this.refused.connection(c);
    this.unanswered.connection(c);
    this.halfOpen.connection(c);
    this.reset.connection(c);
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
