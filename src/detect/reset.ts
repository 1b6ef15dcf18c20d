import { STATE_NAMES } from '../tcp/state.js';
import type { Connection } from '../tcp/connection.js';
import type { Endpoint } from '../tcp/endpoint.js';
import { seqDiff } from '../tcp/seq.js';
import { MPTCP_FASTCLOSE, MPTCP_TCPRST } from '../tcp/layout.js';
import { RO_IP_ID, RO_NO_BASELINE, RO_NO_TIMESTAMPS, RO_TTL_DIFFERS, RO_WINDOW_EDGE, RST_ORIGIN_NAMES, RstOrigin, rstOriginOf } from '../tcp/rst-origin.js';
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
  /** By resetting side, then by the RST's origin (RstOrigin: peer, middlebox, unknown). */
  private readonly bySide = [0, 1].map(() => [new AggregateMap(), new AggregateMap(), new AggregateMap(), new AggregateMap()]);
  private readonly states = new Map<object, Map<string, number>>();
  /** The reasons of each aggregate's first RST, and the TTLs they rest on. */
  private readonly reasons = new Map<object, { why: number; rstTtl: number; hostTtl: number; rsts: number }>();

  constructor(private readonly config: DetectConfig, private readonly evidence: EvidenceStore) {}

  connection(c: Connection): void {
    if (!(c.client.sentRst || c.server.sentRst) || !synchronized(c) || refused(c) || lostBy(c, this.evidence) !== null) return;
    const rst = this.evidence.get(c, Slot.Rst);
    const dir = this.evidence.direction(c, Slot.Rst);
    const r = dir === null ? (c.client.sentRst ? c.client : c.server) : dir.fromClient ? c.client : c.server;
    const peer = peerOf(c, r);
    const judged = rstOriginOf(r.rstOrigin);
    const origin = judged.origin === RstOrigin.None ? RstOrigin.Unknown : judged.origin;
    const a = this.bySide[r.side]![origin]!.get(endpointKey(c.family, c.server), c.family, c.server);
    if (!this.reasons.has(a)) this.reasons.set(a, { why: judged.why, rstTtl: r.rstTtl, hostTtl: r.ttl, rsts: judged.count });
    if (judged.count > 1) a.bump('racingRsts', judged.count - 1);
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
      for (let origin = RstOrigin.Peer; origin <= RstOrigin.Unknown; origin++) {
        for (const a of this.bySide[side]![origin]!.map.values()) {
          const states = [...(this.states.get(a) ?? new Map<string, number>())].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]));
          const who = sideName(side);
          const r = this.reasons.get(a)!;
          out.push(a.finding('reset', severityOf(a.count, this.config.reset), {
            resetBy: who, origin: RST_ORIGIN_NAMES[origin], originReason: originReason(origin, r), ...a.counts, statesAtReset: Object.fromEntries(states),
          }));
        }
      }
    }
    return out;
  }
}

/** Why the first RST of an aggregate was judged as it was (rst-origin.ts), in a few words. */
function originReason(origin: RstOrigin, r: { why: number; rstTtl: number; hostTtl: number }): string {
  const parts: string[] = [];
  if (r.why & RO_NO_BASELINE) parts.push('the resetting side sent nothing else to compare it with');
  else if (r.why & RO_TTL_DIFFERS) parts.push(`TTL ${r.rstTtl} where the host's other packets had ${r.hostTtl}: sent from elsewhere on the path`);
  else parts.push(`TTL ${r.rstTtl}, as the host's other packets`);
  if (r.why & RO_NO_TIMESTAMPS) parts.push('no TCP timestamps where the connection uses them');
  if (r.why & RO_IP_ID) parts.push('an IPv4 ID out of the host\'s own run');
  if (r.why & RO_WINDOW_EDGE) parts.push('its sequence number exactly at the receiver\'s window edge');
  return origin === RstOrigin.Peer && parts.length === 1 ? parts[0]! : parts.join('; ');
}

/** Bytes `sender` sent that `receiver` had not acknowledged (its FIN not counted). */
function unacknowledged(sender: Endpoint, receiver: Endpoint): number {
  if (!sender.sentData || !receiver.ackSent) return 0;
  const n = seqDiff(sender.sndNxt, receiver.lastAck) - (sender.finSent ? 1 : 0);
  return n > 0 && n < 0x40000000 ? n : 0;
}
