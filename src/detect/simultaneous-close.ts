import type { Connection } from '../tcp/connection.js';
import { TcpState } from '../tcp/state.js';
import type { DetectConfig } from './config.js';
import { Slot, type EvidenceStore } from './evidence.js';
import { AggregateMap, endpointKey, type Finding } from './finding.js';

/** Both FINs and both ACKs of them. */
const EVIDENCE: readonly Slot[] = [Slot.FinClient, Slot.FinServer, Slot.AckOfFinClient, Slot.AckOfFinServer];

/** simultaneous_close: both sides sent FIN before seeing the other's (CLOSING). Legal, and worth knowing: info. */
export class SimultaneousCloseDetector {
  private readonly byServer = new AggregateMap();

  constructor(private readonly config: DetectConfig, private readonly evidence: EvidenceStore) {}

  connection(c: Connection): void {
    if (!c.client.hasVisited(TcpState.CLOSING) && !c.server.hasVisited(TcpState.CLOSING)) return;
    const a = this.byServer.get(endpointKey(c.family, c.server), c.family, c.server);
    a.add(c, true, this.config.connectionIds);
    if (c.client.state === TcpState.TIME_WAIT && c.server.state === TcpState.TIME_WAIT) a.bump('bothTimeWait');
    else if (c.client.state === TcpState.CLOSING || c.server.state === TcpState.CLOSING) a.bump('closingAtEnd');
    a.takeEvidence(this.evidence, c, EVIDENCE, this.config.evidence, 4);
  }

  findings(): Finding[] {
    return [...this.byServer.map.values()].map((a) => a.finding('simultaneous_close', 'info', { ...a.counts }));
  }
}
