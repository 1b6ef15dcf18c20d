import type { Connection } from '../tcp/connection.js';
import { synAcksLost, synUnanswered } from './classify.js';
import type { DetectConfig } from './config.js';
import { Slot, type EvidenceStore } from './evidence.js';
import { AggregateMap, endpointKey, type Finding, severityOf } from './finding.js';
import type { Folded } from './folded.js';

/**
 * syn_unanswered: SYNs, retransmitted, with no answer that reached the client, per server endpoint:
 * no answer at all (the peer is down, or a firewall drops them), or SYN,ACKs the capture saw and the
 * client never got (it sent its SYN again and ended in SYN_SENT: lost past the capture point).
 */
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
    if (synAcksLost(c)) a.bump('synAcksLost', 1);
    const slots = synAcksLost(c) ? [Slot.Syn, Slot.SynAck, Slot.TroubleFirstClient, Slot.TroubleLastClient] : [Slot.Syn, Slot.TroubleFirstClient, Slot.TroubleLastClient];
    a.takeEvidence(this.evidence, c, slots, this.config.evidence, 3);
  }

  /** `listening`: whether a server endpoint (its endpointKey) answered any SYN with a SYN,ACK in the capture. */
  findings(folded: Folded, listening: (key: number | string) => boolean): Finding[] {
    const out: Finding[] = [];
    const cfg = this.config.synUnanswered;
    for (const [key, a] of this.byServer.map) {
      if (folded.has(key, a)) continue;
      out.push(a.finding('syn_unanswered', severityOf(a.qualifying, cfg), { ...a.counts, retransmitting: a.qualifying, listenerSeen: listening(key) }));
    }
    return out;
  }
}
