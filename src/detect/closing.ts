import type { Connection } from '../tcp/connection.js';
import { TcpState } from '../tcp/state.js';
import type { Endpoint } from '../tcp/endpoint.js';
import { sideName } from './classify.js';
import type { DetectConfig } from './config.js';
import { type EvidenceStore, Slot } from './evidence.js';
import { AggregateMap, endpointKey, type Finding, type FindingKind, severityOf } from './finding.js';

/** One side's trouble in closing: what makes it a finding, what passes the threshold, what proves it. */
export interface ClosingKind {
  kind: FindingKind;
  thresholds(config: DetectConfig): { warning: number; critical: number };
  /** Whether `e`'s close is this kind of trouble; null if not, else whether it passes the per-connection threshold. */
  judge(e: Endpoint, peer: Endpoint, config: DetectConfig): { qualifies: boolean; seconds: number; stillThere: boolean } | null;
  evidence(side: 0 | 1): Slot[];
  /** Extra counts for a connection. */
  count?(e: Endpoint, peer: Endpoint, bump: (name: string, n?: number) => void): void;
}

/** Aggregates one closing kind per server endpoint and side. */
export class ClosingDetector {
  private readonly bySide = [new AggregateMap(), new AggregateMap()];

  constructor(private readonly spec: ClosingKind, private readonly config: DetectConfig, private readonly evidence: EvidenceStore) {}

  connection(c: Connection): void {
    this.side(c, c.client, c.server);
    this.side(c, c.server, c.client);
  }

  private side(c: Connection, e: Endpoint, peer: Endpoint): void {
    {
      const verdict = this.spec.judge(e, peer, this.config);
      if (verdict === null) return;
      const a = this.bySide[e.side]!.get(endpointKey(c.family, c.server), c.family, c.server);
      a.add(c, verdict.qualifies, this.config.connectionIds);
      if (verdict.stillThere) a.bump('atEnd');
      a.max('maxSeconds', Math.round(verdict.seconds * 1000) / 1000);
      if (verdict.qualifies) a.bump('pastThreshold');
      this.spec.count?.(e, peer, (name, n = 1) => a.bump(name, n));
      a.takeEvidence(this.evidence, c, this.spec.evidence(e.side), this.config.evidence);
    }
  }

  findings(): Finding[] {
    const out: Finding[] = [];
    for (let side = 0; side < 2; side++) {
      for (const a of this.bySide[side]!.map.values()) {
        const who = sideName(side);
        const counts = { pastThreshold: 0, atEnd: 0, ...a.counts };
        out.push(a.finding(this.spec.kind, severityOf(a.qualifying, this.spec.thresholds(this.config)), { side: who, ...counts }));
      }
    }
    return out;
  }
}

type Limits = { seconds: number; warning: number; critical: number };

/** A side that sat in `state` longer than the threshold's seconds, or was still there at the end. */
function heldTooLong(kind: FindingKind, state: TcpState, limits: (c: DetectConfig) => Limits, seconds: (e: Endpoint) => number,
  evidence: (side: 0 | 1) => Slot[]): ClosingKind {
  return {
    kind, thresholds: limits, evidence,
    judge(e, _peer, config) {
      if (!e.hasVisited(state)) return null;
      const stillThere = e.state === state;
      const s = seconds(e);
      const qualifies = s >= limits(config).seconds;
      return stillThere || qualifies ? { qualifies, seconds: s, stillThere } : null;
    },
  };
}

/** A side whose FIN, sent from `state`, had to be sent again or was never acknowledged. */
function finUnacknowledged(kind: FindingKind, state: TcpState, limits: (c: DetectConfig) => Limits & { retransmits: number },
  seconds: (e: Endpoint) => number, evidence: (side: 0 | 1) => Slot[], count?: ClosingKind['count']): ClosingKind {
  return {
    kind, thresholds: limits, evidence,
    judge(e, _peer, config) {
      if (!e.hasVisited(state)) return null;
      const stillThere = e.state === state;
      if (!stillThere && e.finRetransmits === 0) return null;
      const s = seconds(e);
      return { qualifies: e.finRetransmits >= limits(config).retransmits || s >= limits(config).seconds, seconds: s, stillThere };
    },
    count(e, peer, bump) {
      bump('finRetransmissions', e.finRetransmits);
      count?.(e, peer, bump);
    },
  };
}

/** close_wait_leak: a side acknowledged its peer's FIN and did not send its own for too long, or by the end: the application never closed the socket. */
export const CLOSE_WAIT_LEAK = heldTooLong('close_wait_leak', TcpState.CLOSE_WAIT, (c) => c.closeWait, (e) => e.closeWaitSeconds,
  (side) => (side === 1 ? [Slot.FinClient, Slot.AckOfFinClient, Slot.FinServer] : [Slot.FinServer, Slot.AckOfFinServer, Slot.FinClient]));

/** fin_wait_2_stuck: a side whose FIN was acknowledged waits in FIN_WAIT_2 for the peer's FIN, longer than the threshold or to the end. */
export const FIN_WAIT_2_STUCK = heldTooLong('fin_wait_2_stuck', TcpState.FIN_WAIT_2, (c) => c.finWait2, (e) => e.finWait2Seconds,
  (side) => (side === 0 ? [Slot.FinClient, Slot.AckOfFinClient] : [Slot.FinServer, Slot.AckOfFinServer]));

/** fin_wait_1_stuck: the active closer's FIN retransmitted or never acknowledged (lost, or held behind a zero window). */
export const FIN_WAIT_1_STUCK = finUnacknowledged('fin_wait_1_stuck', TcpState.FIN_WAIT_1, (c) => c.finWait1, (e) => e.finWait1Seconds,
  (side) => (side === 0 ? [Slot.FinClient, Slot.TroubleFirstClient, Slot.TroubleLastClient, Slot.AckOfFinClient, Slot.ZeroWindow]
    : [Slot.FinServer, Slot.TroubleFirstServer, Slot.TroubleLastServer, Slot.AckOfFinServer, Slot.ZeroWindow]),
  (e, peer, bump) => {
    if (peer.window === 0) bump('peerZeroWindow');
    // The peer's FIN arrived but the ACK of its own never did: it waits in CLOSING instead.
    if (e.state === TcpState.CLOSING) bump('closingAtEnd');
  });

/** last_ack_lost: the passive closer's FIN retransmitted or never acknowledged: it waits in LAST_ACK. */
export const LAST_ACK_LOST = finUnacknowledged('last_ack_lost', TcpState.LAST_ACK, (c) => c.lastAck, (e) => e.lastAckSeconds,
  (side) => (side === 0 ? [Slot.FinClient, Slot.AckOfFinClient, Slot.TroubleFirstClient, Slot.TroubleLastClient]
    : [Slot.FinServer, Slot.AckOfFinServer, Slot.TroubleFirstServer, Slot.TroubleLastServer]));
