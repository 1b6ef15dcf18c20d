import type { Connection } from '../tcp/connection.js';
import type { Endpoint } from '../tcp/endpoint.js';
import { TcpState } from '../tcp/state.js';
import { sideName, synchronized } from './classify.js';
import type { DetectConfig } from './config.js';
import { Slot, type EvidenceStore } from './evidence.js';
import { AggregateMap, endpointKey, type Finding, severityOf } from './finding.js';
import type { Folded } from './folded.js';

const CAUSES = ['handshake_ack_lost', 'syn_ack_unanswered', 'unanswered', 'peer_lost_connection', 'reset_not_accepted'] as const;
type Cause = (typeof CAUSES)[number];

/**
 * half_open: one side believes the connection is open while the other no longer does (or never did):
 * - handshake_ack_lost: ESTABLISHED against SYN_RCVD, the SYN,ACK retransmitted;
 * - syn_ack_unanswered: the server in SYN_RCVD for a client that had no socket (it never sent its SYN
 *   again nor answered the SYN,ACK: a spoofed source, or one that is gone);
 * - unanswered: a side retransmitting or sending keep-alives with no answer until the end of the capture;
 * - peer_lost_connection: a RST without ACK, the way a stack answers a segment for a connection it does not
 *   have (rebooted, or dropped it), on a connection that was established;
 * - reset_not_accepted: one side reset and is CLOSED, the other ignored the RST (out of window) and is still open.
 */
export class HalfOpenDetector {
  private readonly byCause = new Map<Cause, AggregateMap>(CAUSES.map((c) => [c, new AggregateMap()]));

  constructor(private readonly config: DetectConfig, private readonly evidence: EvidenceStore) {}

  connection(c: Connection): void {
    const cl = c.client;
    const sv = c.server;
    const cfg = this.config.halfOpen;
    let cause: Cause | null = null;
    let qualifies = true;
    let side = 0;
    const lost = lostBy(c, this.evidence);
    if (lost !== null) {
      cause = 'peer_lost_connection';
      side = lost === 0 ? 1 : 0;
    } else if ((cl.state === TcpState.ESTABLISHED && sv.state === TcpState.SYN_RCVD) || (sv.state === TcpState.ESTABLISHED && cl.state === TcpState.SYN_RCVD)) {
      cause = 'handshake_ack_lost';
      side = cl.state === TcpState.ESTABLISHED ? 0 : 1;
      qualifies = (side === 0 ? sv : cl).synRetransmits > 0;
    } else if (sv.state === TcpState.SYN_RCVD && cl.state === TcpState.CLOSED && !cl.sentRst) {
      cause = 'syn_ack_unanswered';
      side = 1;
      qualifies = sv.synRetransmits > 0;
    } else if (isOpen(cl.state) !== isOpen(sv.state) && (cl.rstIgnored > 0 || sv.rstIgnored > 0) && (cl.sentRst || sv.sentRst)) {
      cause = 'reset_not_accepted';
      side = isOpen(cl.state) ? 0 : 1;
    } else {
      const e = stillSending(cl) ? cl : stillSending(sv) ? sv : null;
      if (e !== null && synchronized(c)) {
        cause = 'unanswered';
        side = e.side;
        qualifies = e.unanswered >= cfg.unanswered;
      }
    }
    if (cause === null) return;
    const a = this.byCause.get(cause)!.get(endpointKey(c.family, sv), c.family, sv);
    a.add(c, qualifies, this.config.connectionIds);
    a.bump(`${sideName(side)}Open`);
    const open = c.endpoint(side);
    if (cause === 'unanswered') {
      a.bump('unansweredSegments', open.unanswered);
      a.max('silentSeconds', Math.round((c.endSec + c.endNsec * 1e-9 - open.unansweredSince) * 1000) / 1000);
    }
    const trouble = side === 0 ? [Slot.TroubleFirstClient, Slot.TroubleLastClient] : [Slot.TroubleFirstServer, Slot.TroubleLastServer];
    const peerTrouble = side === 0 ? [Slot.TroubleFirstServer, Slot.TroubleLastServer] : [Slot.TroubleFirstClient, Slot.TroubleLastClient];
    const slots = cause === 'handshake_ack_lost' || cause === 'syn_ack_unanswered' ? [Slot.Syn, Slot.SynAck, ...peerTrouble]
      : cause === 'peer_lost_connection' ? [...trouble, Slot.Rst]
        : cause === 'reset_not_accepted' ? [Slot.Rst, ...trouble] : [...trouble];
    a.takeEvidence(this.evidence, c, slots, this.config.evidence, 4);
  }

  findings(folded: Folded): Finding[] {
    const out: Finding[] = [];
    const cfg = this.config.halfOpen;
    for (const [cause, map] of this.byCause) {
      for (const [key, a] of map.map) {
        if ((cause === 'handshake_ack_lost' || cause === 'syn_ack_unanswered') && folded.has(key, a)) continue;
        out.push(a.finding('half_open', severityOf(a.qualifying, cfg), { cause, ...a.counts }));
      }
    }
    return out;
  }
}

/**
 * Which side answered with a bare RST (no ACK bit: how a stack answers a segment for a connection it
 * does not have) a connection that was established and that it had not closed; null if none did.
 */
export function lostBy(c: Connection, evidence: EvidenceStore): 0 | 1 | null {
  const rst = evidence.direction(c, Slot.Rst);
  if (rst === null || rst.ack || !synchronized(c)) return null;
  const sender = rst.fromClient ? c.client : c.server;
  return sender.finSent ? null : sender.side;
}

/** Retransmitting or probing, unanswered, while it still holds the connection open. */
function stillSending(e: Endpoint): boolean {
  return e.unanswered > 0 && (e.state === TcpState.ESTABLISHED || e.state === TcpState.CLOSE_WAIT);
}

function isOpen(s: TcpState): boolean {
  return s !== TcpState.CLOSED && s !== TcpState.LISTEN && s !== TcpState.TIME_WAIT;
}
