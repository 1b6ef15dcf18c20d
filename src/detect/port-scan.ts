import type { Connection } from '../tcp/connection.js';
import { clientOpened, handshakeFailed } from './classify.js';
import type { DetectConfig } from './config.js';
import { Slot, type EvidenceStore } from './evidence.js';
import { Aggregate, addressKey, endpointKey, type Finding, LastLookup, num, secs } from './finding.js';

/** A source with more than one target: the detail of a possible scan. */
class Scan {
  /** Targets (address:port) in the current window, and when the window began. */
  readonly targets = new Set<number | string>();
  windowStart = 0;
  peak = 0;
  readonly hosts = new Set<number | string>();
  readonly ports = new Set<number>();
  failed = 0;
  readonly agg: Aggregate;

  constructor(c: Connection) {
    this.agg = new Aggregate(c.family, c.client);
  }
}

/** Most sources (spoofed flood sources above all) have one target: they keep just that, in a few numbers. */
class Source {
  firstTarget: number | string = 0;
  firstHost: number | string = 0;
  firstPort = 0;
  firstId = 0;
  firstStart = 0;
  firstStartNsec = 0;
  firstFailed = false;
  scan: Scan | null = null;
}

/**
 * port_scan: one source sending SYNs to many distinct address:port targets within the window.
 * Sources are followed in a bounded table: when it is full, those with a single target go first.
 */
export class PortScanDetector {
  private readonly sources = new Map<number | string, Source>();
  private readonly lastClient = new LastLookup<Source>();
  private readonly lastServer = new LastLookup<boolean>();
  /** Sources found scanning, for other detectors to fold their refused and unanswered connections into the scan. */
  readonly scanners = new Set<number | string>();

  constructor(private readonly config: DetectConfig, private readonly evidence: EvidenceStore) {}

  connection(c: Connection): void {
    if (!clientOpened(c)) return;
    const cfg = this.config.portScan;
    // The same client to the same server again (a busy client): nothing new for a scan.
    if (this.lastClient.is(c.client, false) && this.lastServer.is(c.server) && this.lastClient.value!.scan === null) return;
    const key = addressKey(c.family, c.client);
    const target = endpointKey(c.family, c.server);
    let src = this.sources.get(key);
    if (src === undefined) {
      if (this.sources.size >= cfg.sources) this.evict();
      src = new Source();
      src.firstTarget = target;
      src.firstHost = addressKey(c.family, c.server);
      src.firstPort = c.server.port;
      src.firstId = c.id;
      src.firstStart = c.startSec;
      src.firstStartNsec = c.startNsec;
      src.firstFailed = handshakeFailed(c);
      this.sources.set(key, src);
      this.lastClient.remember(c.client, src);
      this.lastServer.remember(c.server, true);
      return;
    }
    this.lastClient.remember(c.client, src);
    this.lastServer.remember(c.server, true);
    let s = src.scan;
    if (s === null) {
      if (target === src.firstTarget) return;
      s = new Scan(c);
      s.windowStart = src.firstStart;
      s.targets.add(src.firstTarget);
      s.hosts.add(src.firstHost);
      s.ports.add(src.firstPort);
      if (src.firstFailed) s.failed++;
      s.agg.addEarlier(src.firstId, src.firstStart, src.firstStartNsec, src.firstFailed, this.config.connectionIds);
      src.scan = s;
    }
    if (c.startSec - s.windowStart > cfg.window) {
      s.targets.clear();
      s.windowStart = c.startSec;
    }
    const cap = cfg.criticalTargets + 1;
    if (s.targets.size < cap) s.targets.add(target);
    if (s.hosts.size < cap) s.hosts.add(addressKey(c.family, c.server));
    if (s.ports.size < cap) s.ports.add(c.server.port);
    if (s.targets.size > s.peak) s.peak = s.targets.size;
    const failed = handshakeFailed(c);
    if (failed) s.failed++;
    s.agg.add(c, failed, this.config.connectionIds);
    if (failed) s.agg.takeEvidence(this.evidence, c, [Slot.Syn, Slot.Rst], this.config.evidence, 1);
  }

  private evict(): void {
    for (const [k, s] of this.sources) if (s.scan === null) this.sources.delete(k);
    // Still full of multi-target sources: drop the oldest half.
    if (this.sources.size >= this.config.portScan.sources) {
      let n = this.sources.size >> 1;
      for (const k of this.sources.keys()) {
        if (n-- <= 0) break;
        this.sources.delete(k);
      }
    }
  }

  findings(): Finding[] {
    const cfg = this.config.portScan;
    const out: Finding[] = [];
    for (const [key, src] of this.sources) {
      const s = src.scan;
      if (s === null || s.peak < cfg.targets) continue;
      this.scanners.add(key);
      const a = s.agg;
      const span = a.lastSec - a.firstSec + (a.lastNsec - a.firstNsec) * 1e-9;
      const capped = s.peak > cfg.criticalTargets;
      const address = a.endpoint.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
      const summary = `${address} sent SYNs to ${capped ? 'more than ' : ''}${num(Math.min(s.peak, cfg.criticalTargets))} distinct targets within ${cfg.window} s ` +
        `(${num(s.ports.size)}${s.ports.size > cfg.criticalTargets ? '+' : ''} ports on ${num(s.hosts.size)}${s.hosts.size > cfg.criticalTargets ? '+' : ''} ` +
        `${s.hosts.size === 1 ? 'host' : 'hosts'}, over ${secs(Math.max(0, span))}); ${num(s.failed)} of its ${num(a.count)} connection attempts failed.`;
      const f = a.finding('port_scan', s.peak >= cfg.criticalTargets ? 'critical' : 'warning', summary, {
        targets: s.peak, ports: s.ports.size, hosts: s.hosts.size, failed: s.failed,
      });
      f.endpoint = address;
      out.push(f);
    }
    return out;
  }
}
