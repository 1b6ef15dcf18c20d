import type { Connection } from '../tcp/connection.js';
import { TcpState } from '../tcp/state.js';
import type { DetectConfig } from './config.js';
import { Slot, type EvidenceStore } from './evidence.js';
import { Aggregate, boundedKey, endpointKey, OVERFLOW_KEY, type Finding, LastLookup, severityOf } from './finding.js';
import { peaks, SecondCounts } from './seconds.js';

/** The server's FIN, the client's, and the server's ACK of it: the server closed first and holds TIME_WAIT. */
const EVIDENCE: readonly Slot[] = [Slot.FinServer, Slot.FinClient, Slot.AckOfFinClient];

class Pileup {
  readonly agg: Aggregate;
  /** Connections whose server entered TIME_WAIT, per whole second. */
  readonly entries = new SecondCounts();
  atEnd = 0;

  constructor(c: Connection, overflow: boolean) {
    this.agg = new Aggregate(c.family, c.server, overflow);
  }
}

/**
 * time_wait_pileup: the server closes actively, so it is the side holding TIME_WAIT for 2MSL.
 * Severity follows the peak number held at once on one server endpoint.
 */
export class TimeWaitPileupDetector {
  private readonly byServer = new Map<number | string, Pileup>();
  private readonly last = new LastLookup<Pileup>();

  constructor(private readonly config: DetectConfig, private readonly evidence: EvidenceStore, private readonly msl: number) {}

  private pileup(c: Connection): Pileup {
    if (this.last.is(c.server)) return this.last.value!;
    const key = boundedKey(this.byServer, endpointKey(c.family, c.server));
    let p = this.byServer.get(key);
    if (p === undefined) {
      p = new Pileup(c, key === OVERFLOW_KEY);
      this.byServer.set(key, p);
    }
    return this.last.remember(c.server, p);
  }

  connection(c: Connection): void {
    if (!c.server.hasVisited(TcpState.TIME_WAIT)) return;
    const p = this.pileup(c);
    p.agg.add(c, true, this.config.connectionIds);
    // The server enters TIME_WAIT on the client's FIN, at (or just before) the connection's last packet.
    p.entries.add(c.endSec, 1);
    if (c.server.state === TcpState.TIME_WAIT) p.atEnd++;
    p.agg.takeEvidence(this.evidence, c, EVIDENCE, this.config.evidence, 3);
  }

  findings(): Finding[] {
    const out: Finding[] = [];
    const hold = Math.max(1, Math.ceil(2 * this.msl));
    for (const p of this.byServer.values()) {
      const peak = peaks(p.entries, hold).window;
      const a = p.agg;
      out.push(a.finding('time_wait_pileup', severityOf(peak, this.config.timeWait), { peak, atEnd: p.atEnd }));
    }
    return out;
  }
}
