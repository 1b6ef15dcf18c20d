import { STATE_NAMES } from '../tcp/state.js';
import type { Connection } from '../tcp/connection.js';
import type { Endpoint } from '../tcp/endpoint.js';
import { seqDiff } from '../tcp/seq.js';
import { MPTCP_FASTCLOSE, MPTCP_TCPRST } from '../tcp/layout.js';
import { peerOf, refused, sideName, synchronized } from './classify.js';
import type { DetectConfig } from './config.js';
import { Slot, type EvidenceStore } from './evidence.js';
import { AggregateMap, endpointKey, type Finding, severityOf } from './finding.js';
import { lostBy } from './half-open.js';

/**
 * reset: a RST aborting a synchronized connection. Aggregated per server endpoint and resetting
 * side, with the states both sides were in, the data exchanged, whether the RST was in window
 * and whether data was still unacknowledged or arrived after the resetting side had closed.
 */
export class ResetDetector {
  private readonly bySide = [new AggregateMap(), new AggregateMap()];
  private readonly states = new Map<object, Map<string, number>>();

  constructor(private readonly config: DetectConfig, private readonly evidence: EvidenceStore) {}

  connection(c: Connection): void {
    if (!(c.client.sentRst || c.server.sentRst) || !synchronized(c) || refused(c) || lostBy(c, this.evidence) !== null) return;
    const rst = this.evidence.get(c, Slot.Rst);
    const dir = this.evidence.direction(c, Slot.Rst);
    const r = dir === null ? (c.client.sentRst ? c.client : c.server) : dir.fromClient ? c.client : c.server;
    const peer = peerOf(c, r);
    const a = this.bySide[r.side]!.get(endpointKey(c.family, c.server), c.family, c.server);
    a.add(c, true, this.config.connectionIds);
    const stateKey = rst ? `${STATE_NAMES[rst.clientBefore]}/${STATE_NAMES[rst.serverBefore]}` : 'unknown';
    let states = this.states.get(a);
    if (states === undefined) {
      states = new Map();
      this.states.set(a, states);
    }
    states.set(stateKey, (states.get(stateKey) ?? 0) + 1);
    if (peer.acceptedRst) a.bump('inWindow');
    else if (peer.rstIgnored > 0) a.bump('outOfWindow');
    const unacked = unacknowledged(peer, r) + unacknowledged(r, peer);
    if (unacked > 0) {
      a.bump('withUnacknowledgedData');
      a.bump('unacknowledgedBytes', unacked);
    }
    if (r.finSent) a.bump('afterOwnFin');
    // An MPTCP subflow's reset: the whole MPTCP connection aborted (MP_FASTCLOSE), or the subflow alone (MP_TCPRST).
    const mptcp = c.mptcp();
    if (mptcp !== null && (mptcp.flags & MPTCP_FASTCLOSE) !== 0) a.bump('mptcpFastClose');
    else if (mptcp !== null && (mptcp.flags & MPTCP_TCPRST) !== 0) a.bump('mptcpTcpRst');
    a.bump('clientBytes', c.client.payloadBytes);
    a.bump('serverBytes', c.server.payloadBytes);
    a.takeEvidence(this.evidence, c, [Slot.Rst, r.side === 0 ? Slot.FinClient : Slot.FinServer, Slot.Syn], this.config.evidence, 2);
  }

  findings(): Finding[] {
    const out: Finding[] = [];
    for (let side = 0; side < 2; side++) {
      for (const a of this.bySide[side]!.map.values()) {
        const states = [...(this.states.get(a) ?? new Map<string, number>())].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]));
        const who = sideName(side);
        out.push(a.finding('reset', severityOf(a.count, this.config.reset), {
          resetBy: who, ...a.counts, statesAtReset: Object.fromEntries(states),
        }));
      }
    }
    return out;
  }
}

/** Bytes `sender` sent that `receiver` had not acknowledged (its FIN not counted). */
function unacknowledged(sender: Endpoint, receiver: Endpoint): number {
  if (!sender.sentData || !receiver.ackSent) return 0;
  const n = seqDiff(sender.sndNxt, receiver.lastAck) - (sender.finSent ? 1 : 0);
  return n > 0 && n < 0x40000000 ? n : 0;
}
