import { type Connection, endedNormally } from '../tcp/connection.js';
import { TcpState } from '../tcp/state.js';
import type { Endpoint } from '../tcp/endpoint.js';
import { addDwell } from '../tcp/machine.js';
import { CLOSE_WAIT_LEAK, ClosingDetector, FIN_WAIT_1_STUCK, FIN_WAIT_2_STUCK, LAST_ACK_LOST } from './closing.js';
import type { DetectConfig } from './config.js';
import { ConnectionRefusedDetector } from './connection-refused.js';
import type { EvidenceStore } from './evidence.js';
import type { Finding } from './finding.js';
import { Folded } from './folded.js';
import { HalfOpenDetector } from './half-open.js';
import { PortScanDetector } from './port-scan.js';
import { ResetDetector } from './reset.js';
import { SimultaneousCloseDetector } from './simultaneous-close.js';
import { SynFloodDetector } from './syn-flood.js';
import { SynUnansweredDetector } from './syn-unanswered.js';
import { TimeWaitPileupDetector } from './time-wait-pileup.js';
import { ZeroWindowStallDetector } from './zero-window-stall.js';
import { HighRetransmissionDetector, RtoBackoffDetector, SlowHandshakeDetector } from './timing.js';
import type { ServerTableReport } from './servers.js';

/** The state a side is still in counts up to `now`. */
function dwellUntil(e: Endpoint, now: number): void {
  if (now > e.stateSince) addDwell(e.floats, e.fb, e.state, now - e.stateSince);
  e.stateSince = now;
}

/**
 * The detector stage: sees each segment after the connection table (segment(): evidence and
 * settling) and every connection once, as it leaves the table (finished()), keeping aggregates per
 * endpoint, bounded by endpoints and by the detectors' own windows, not by connections.
 */
export class Detectors {

  /** Below the shortest closing-state threshold, an orderly close is of interest only to counts. */
  private readonly quickClose: number;
  private readonly flood: SynFloodDetector;
  private readonly scan: PortScanDetector;
  private readonly refused: ConnectionRefusedDetector;
  private readonly unanswered: SynUnansweredDetector;
  private readonly halfOpen: HalfOpenDetector;
  private readonly reset: ResetDetector;
  private readonly closing: ClosingDetector[];
  private readonly simultaneous: SimultaneousCloseDetector;
  private readonly timeWait: TimeWaitPileupDetector;
  private readonly zeroWindow: ZeroWindowStallDetector;
  private readonly zeroWindowSeconds: number;
  private readonly slowHandshake: SlowHandshakeDetector;
  private readonly rtoBackoff: RtoBackoffDetector;
  private readonly highRetransmission: HighRetransmissionDetector;

  constructor(config: DetectConfig, msl: number, private readonly evidence: EvidenceStore) {
    const ev = evidence;
    this.quickClose = Math.min(config.closeWait.seconds, config.finWait1.seconds, config.finWait2.seconds, config.lastAck.seconds);
    this.flood = new SynFloodDetector(config, ev);
    this.scan = new PortScanDetector(config, ev);
    this.refused = new ConnectionRefusedDetector(config, ev);
    this.unanswered = new SynUnansweredDetector(config, ev);
    this.halfOpen = new HalfOpenDetector(config, ev);
    this.reset = new ResetDetector(config, ev);
    this.closing = [CLOSE_WAIT_LEAK, FIN_WAIT_2_STUCK, FIN_WAIT_1_STUCK, LAST_ACK_LOST].map((k) => new ClosingDetector(k, config, ev));
    this.simultaneous = new SimultaneousCloseDetector(config, ev);
    this.timeWait = new TimeWaitPileupDetector(config, ev, msl);
    this.zeroWindow = new ZeroWindowStallDetector(config, ev);
    this.zeroWindowSeconds = config.zeroWindow.seconds;
    this.slowHandshake = new SlowHandshakeDetector(config, ev);
    this.rtoBackoff = new RtoBackoffDetector(config, ev);
    this.highRetransmission = new HighRetransmissionDetector(config, ev);
  }

  /** `c` leaves the table at time `now` (its last timer, or the end of the capture); its evidence slots are freed after. */
  finished(c: Connection, now: number): void {
    dwellUntil(c.client, now);
    dwellUntil(c.server, now);
    this.flood.connection(c);
    this.scan.connection(c);
    // These can be of connections that ended normally, as most slow or lossy ones do.
    this.slowHandshake.connection(c);
    this.rtoBackoff.connection(c);
    this.highRetransmission.connection(c);
    if (this.quick(c) && !ZeroWindowStallDetector.stalled(c, now, this.zeroWindowSeconds)) {
      this.timeWait.connection(c);
      this.evidence.releaseAll(c);
      return;
    }
    this.refused.connection(c);
    this.unanswered.connection(c);
    this.halfOpen.connection(c);
    this.reset.connection(c);
    for (const d of this.closing) d.connection(c);
    this.simultaneous.connection(c);
    this.zeroWindow.connection(c, now);
    this.timeWait.connection(c);
    this.evidence.releaseAll(c);
  }

  /**
   * An orderly close with nothing to note: no FIN sent twice, no closing state held as long as the
   * shortest threshold, no simultaneous close, nothing left unanswered. Most connections of a
   * healthy capture; only the counts (flood, scan, TIME_WAIT) see them.
   */
  private quick(c: Connection): boolean {
    const cl = c.client;
    const sv = c.server;
    if (!endedNormally(c) || cl.finRetransmits !== 0 || sv.finRetransmits !== 0 || cl.unanswered !== 0 || sv.unanswered !== 0) return false;
    if (((cl.visited | sv.visited) & (1 << TcpState.CLOSING)) !== 0) return false;
    const q = this.quickClose;
    return cl.closeWaitSeconds < q && sv.closeWaitSeconds < q && cl.finWait1Seconds < q && sv.finWait1Seconds < q &&
      cl.finWait2Seconds < q && sv.finWait2Seconds < q && cl.lastAckSeconds < q && sv.lastAckSeconds < q &&
      (cl.state === TcpState.CLOSED || cl.state === TcpState.TIME_WAIT) && (sv.state === TcpState.CLOSED || sv.state === TcpState.TIME_WAIT);
  }

  /**
   * Every finding, in the order the detectors made them (the report sorts them).
   * `listening` says whether a server endpoint (endpointKey) was seen answering a SYN with a SYN,ACK;
   * `servers` is the connection stage's server table (high_retransmission's shares).
   */
  findings(listening: (key: number | string) => boolean = () => false, servers: ServerTableReport = { rows: [], omitted: { servers: 0, connections: 0 } }): Finding[] {
    // The scan first: a "flood" whose SYNs all come from one scanner is that scan's sweep (many
    // endpoints counted together past MAX_ENDPOINTS), not a flood.
    const scans = this.scan.findings();
    const all = [...this.flood.findings(this.scan.scanners), ...scans];
    const folded = new Folded(this.flood.flooded, this.scan.scanners);
    all.push(...this.refused.findings(folded, listening), ...this.unanswered.findings(folded, listening), ...this.halfOpen.findings(folded),
      ...this.reset.findings());
    for (const d of this.closing) all.push(...d.findings());
    all.push(...this.zeroWindow.findings(), ...this.simultaneous.findings(), ...this.timeWait.findings());
    all.push(...this.slowHandshake.findings(folded), ...this.rtoBackoff.findings(), ...this.highRetransmission.findings(folded, servers));
    return all;
  }
}
