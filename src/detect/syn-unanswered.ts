import type { Connection } from '../tcp/connection.js';
import { synUnanswered } from './classify.js';
import type { DetectConfig } from './config.js';
import { Slot, type EvidenceStore } from './evidence.js';
import { AggregateMap, endpointKey, type Finding, num, plural, severityOf } from './finding.js';
import type { Folded } from './folded.js';

/** syn_unanswered: SYNs, retransmitted, with no answer at all (the peer is down, or a firewall drops them), per server endpoint. */
export class SynUnansweredDetector {
  private readonly byServer = new AggregateMap();

  constructor(private readonly config: DetectConfig, private readonly evidence: EvidenceStore) {}

  connection(c: Connection): void {
    if (!synUnanswered(c)) return;
    const cfg = this.config.synUnanswered;
    const a = this.byServer.get(endpointKey(c.family, c.server), c.family, c.server);
    const retransmits = c.client.synRetransmits;
    a.add(c, retransmits >= cfg.retransmits, this.config.connectionIds);
    a.bump('syns', 1 + retransmits);
    a.bump('retransmissions', retransmits);
    a.max('maxRetransmissions', retransmits);
    a.takeEvidence(this.evidence, c, [Slot.Syn, Slot.TroubleFirstClient, Slot.TroubleLastClient], this.config.evidence, 3);
  }

  findings(folded: Folded): Finding[] {
    const out: Finding[] = [];
    const cfg = this.config.synUnanswered;
    for (const [key, a] of this.byServer.map) {
      if (folded.has(key, a)) continue;
      const syns = a.counts.syns ?? 0;
      const summary = `${plural(a.count, 'connection attempt')} to ${a.endpoint} got no answer at all: ${num(syns)} SYNs ` +
        `(${num(a.counts.retransmissions ?? 0)} retransmissions) and neither SYN,ACK nor RST; the host is down or a firewall drops them.`;
      out.push(a.finding('syn_unanswered', severityOf(a.qualifying, cfg), summary, { ...a.counts, retransmitting: a.qualifying }));
    }
    return out;
  }
}
