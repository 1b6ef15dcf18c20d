import type { Connection } from '../tcp/connection.js';
import { refused } from './classify.js';
import type { DetectConfig } from './config.js';
import { Slot, type EvidenceStore } from './evidence.js';
import { AggregateMap, endpointKey, type Finding, severityOf } from './finding.js';
import type { Folded } from './folded.js';

/** connection_refused: RST answering a SYN (a closed port), per server endpoint. */
export class ConnectionRefusedDetector {
  private readonly byServer = new AggregateMap();

  constructor(private readonly config: DetectConfig, private readonly evidence: EvidenceStore) {}

  connection(c: Connection): void {
    if (!refused(c)) return;
    const a = this.byServer.get(endpointKey(c.family, c.server), c.family, c.server);
    a.add(c, true, this.config.connectionIds);
    a.bump('syns', 1 + c.client.synRetransmits);
    a.takeEvidence(this.evidence, c, [Slot.Syn, Slot.Rst], this.config.evidence);
  }

  /** `listening`: whether a server endpoint (its endpointKey) answered any SYN with a SYN,ACK in the capture. */
  findings(folded: Folded, listening: (key: number | string) => boolean): Finding[] {
    const out: Finding[] = [];
    for (const [key, a] of this.byServer.map) {
      if (folded.has(key, a)) continue;
      out.push(a.finding('connection_refused', severityOf(a.count, this.config.connectionRefused), { ...a.counts, listenerSeen: listening(key) }));
    }
    return out;
  }
}
