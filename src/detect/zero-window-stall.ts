import type { Connection } from '../tcp/connection.js';
import type { Endpoint } from '../tcp/endpoint.js';
import { sideName } from './classify.js';
import type { DetectConfig } from './config.js';
import { Slot, type EvidenceStore } from './evidence.js';
import { AggregateMap, endpointKey, type Finding, severityOf } from './finding.js';

/** The longest a side's advertised window stayed at zero, up to `now` when it is still closed. */
export function zeroWindowStall(e: Endpoint, now: number): number {
  const since = e.zeroWindowSince;
  return Math.max(e.zeroWindowLongest, since >= 0 ? now - since : 0);
}

/**
 * zero_window_stall: a receiver advertised a zero window and kept it closed longer than the
 * threshold, or until the capture ended: its application stopped reading, and its peer can only
 * probe (the evidence). Per server endpoint and receiving side.
 */
export class ZeroWindowStallDetector {
  private readonly bySide = [new AggregateMap(), new AggregateMap()];

  constructor(private readonly config: DetectConfig, private readonly evidence: EvidenceStore) {}

  /** Whether `c` has a stall to report as it leaves the table at `now`. */
  static stalled(c: Connection, now: number, seconds: number): boolean {
    for (const e of [c.client, c.server]) {
      if (e.zeroWindowSince >= 0 || zeroWindowStall(e, now) >= seconds) return true;
    }
    return false;
  }

  connection(c: Connection, now: number): void {
    const cfg = this.config.zeroWindow;
    for (const e of [c.client, c.server]) {
      const atEnd = e.zeroWindowSince >= 0;
      const seconds = zeroWindowStall(e, now);
      const qualifies = seconds >= cfg.seconds;
      if (!atEnd && !qualifies) continue;
      const a = this.bySide[e.side]!.get(endpointKey(c.family, c.server), c.family, c.server);
      a.add(c, qualifies, this.config.connectionIds);
      a.max('maxSeconds', Math.round(seconds * 1000) / 1000);
      if (atEnd) a.bump('atEnd');
      const peer = e.side === 0 ? c.server : c.client;
      // Linux probes a zero window with the keep-alive form (SND.UNA - 1, no data), which Wireshark counts as keep-alives.
      a.bump('probes', peer.keepAlives);
      const probes = peer.side === 0 ? [Slot.TroubleFirstClient, Slot.TroubleLastClient] : [Slot.TroubleFirstServer, Slot.TroubleLastServer];
      a.takeEvidence(this.evidence, c, [Slot.ZeroWindow, ...probes], this.config.evidence, 3);
    }
  }

  findings(): Finding[] {
    const out: Finding[] = [];
    const cfg = this.config.zeroWindow;
    this.bySide.forEach((map, side) => {
      const who = sideName(side);
      for (const a of map.map.values()) {
        out.push(a.finding('zero_window_stall', severityOf(a.qualifying, cfg), { side: who, ...a.counts }));
      }
    });
    return out;
  }
}
