import type { Connection } from '../tcp/connection.js';
import { TcpState } from '../tcp/state.js';
import type { DetectConfig } from './config.js';
import { Slot, type EvidenceStore } from './evidence.js';
import { AggregateMap, endpointKey, type Finding, severityOf } from './finding.js';
import type { Folded } from './folded.js';
import { retransmissionShare, type ServerTableReport } from './servers.js';

/** Rounded for a finding's counts: microseconds of seconds. */
const us = (s: number) => Math.round(s * 1e6) / 1e6;

/**
 * slow_handshake: handshakes that completed, but only after a SYN or SYN,ACK was sent again (a
 * retransmission timeout, a second at least on Linux), or that took longer than the threshold,
 * per server endpoint. The ones that never completed are syn_unanswered's (or a flood's).
 */
export class SlowHandshakeDetector {
  private readonly byServer = new AggregateMap();

  constructor(private readonly config: DetectConfig, private readonly evidence: EvidenceStore) {}

  connection(c: Connection): void {
    const cl = c.client;
    const sv = c.server;
    const rtt = c.irtt;
    const resent = cl.synRetransmits + sv.synRetransmits;
    const cfg = this.config.slowHandshake;
    if (resent === 0 && !(rtt > cfg.seconds)) return;
    // Completed on both sides: a server left in SYN_RCVD is half_open's.
    if (c.roleInferred || !cl.hasVisited(TcpState.SYN_SENT) || !cl.hasVisited(TcpState.ESTABLISHED) || !sv.hasVisited(TcpState.ESTABLISHED)) return;
    const a = this.byServer.get(endpointKey(c.family, sv), c.family, sv);
    a.add(c, true, this.config.connectionIds);
    a.bump('synRetransmissions', cl.synRetransmits);
    a.bump('synAckRetransmissions', sv.synRetransmits);
    if (rtt > cfg.seconds) a.bump('overThreshold');
    a.max('maxHandshakeRtt', us(rtt));
    a.takeEvidence(this.evidence, c, [Slot.Syn, Slot.TroubleFirstClient, Slot.TroubleFirstServer, Slot.SynAck], this.config.evidence, 4);
  }

  findings(folded: Folded): Finding[] {
    const out: Finding[] = [];
    for (const [key, a] of this.byServer.map) {
      if (folded.has(key, a)) continue;
      out.push(a.finding('slow_handshake', severityOf(a.count, this.config.slowHandshake), { ...a.counts }));
    }
    return out;
  }
}

/**
 * rto_backoff: a side that let several retransmission timeouts run in a row, each with no new ACK
 * from its peer between them (the timer backing off): the path or the peer is gone, or the peer's
 * ACKs are lost. Timeouts of SYNs and FINs are other findings' (syn_unanswered, the closing ones):
 * only those of data count. Per server endpoint and side.
 */
export class RtoBackoffDetector {
  private readonly bySide = [new AggregateMap(), new AggregateMap()];

  constructor(private readonly config: DetectConfig, private readonly evidence: EvidenceStore) {}

  connection(c: Connection): void {
    const cfg = this.config.rtoBackoff;
    for (const e of [c.client, c.server]) {
      const run = e.rtoBackoff;
      if (run < cfg.timeouts) continue;
      const data = e.rtoCount - e.synRetransmits - e.finRetransmits;
      if (data < cfg.timeouts) continue;
      const a = this.bySide[e.side]!.get(endpointKey(c.family, c.server), c.family, c.server);
      a.add(c, true, this.config.connectionIds);
      a.bump('timeouts', data);
      a.max('maxInARow', run);
      a.max('longestInterval', us(e.rtoInterval));
      const slots = e.side === 0 ? [Slot.TroubleFirstClient, Slot.TroubleLastClient] : [Slot.TroubleFirstServer, Slot.TroubleLastServer];
      a.takeEvidence(this.evidence, c, slots, this.config.evidence, 2);
    }
  }

  findings(): Finding[] {
    const out: Finding[] = [];
    this.bySide.forEach((map, side) => {
      for (const a of map.map.values()) out.push(a.finding('rto_backoff', severityOf(a.count, this.config.rtoBackoff), { side: side === 0 ? 'client' : 'server', ...a.counts }));
    });
    return out;
  }
}

/**
 * high_retransmission: a server endpoint whose connections retransmitted more than a share of all
 * their segments (both directions, from the server table), over enough segments to mean something.
 * The evidence is from the connections that retransmitted.
 */
export class HighRetransmissionDetector {
  private readonly byServer = new AggregateMap();

  constructor(private readonly config: DetectConfig, private readonly evidence: EvidenceStore) {}

  connection(c: Connection): void {
    const cl = c.client;
    const sv = c.server;
    const n = cl.retransmissions + sv.retransmissions;
    if (n === 0) return;
    const a = this.byServer.get(endpointKey(c.family, sv), c.family, sv);
    a.add(c, true, this.config.connectionIds);
    a.takeEvidence(this.evidence, c, [Slot.TroubleFirstServer, Slot.TroubleFirstClient, Slot.TroubleLastServer, Slot.TroubleLastClient], this.config.evidence, 2);
  }

  findings(folded: Folded, servers: ServerTableReport): Finding[] {
    const cfg = this.config.highRetransmission;
    const out: Finding[] = [];
    for (const r of servers.rows) {
      if (r.packets < cfg.packets) continue;
      const share = retransmissionShare(r);
      if (share < cfg.share) continue;
      const key = endpointKey(r.family, r);
      const a = this.byServer.map.get(key);
      if (a === undefined || folded.has(key, a)) continue;
      const severity = share >= cfg.criticalShare ? 'critical' : 'warning';
      out.push(a.finding('high_retransmission', severity, {
        retransmissions: r.retransmissions, packets: r.packets, share: Math.round(share * 10000) / 10000, serverConnections: r.connections,
      }));
    }
    return out;
  }
}
