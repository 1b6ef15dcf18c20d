import type { Connection } from '../tcp/connection.js';
import type { Endpoint } from '../tcp/endpoint.js';
import { sideName } from './classify.js';
import type { DetectConfig } from './config.js';
import type { EvidenceStore, Slot } from './evidence.js';
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
