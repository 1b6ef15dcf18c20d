import type { Connection } from '../tcp/connection.js';
import { clientOpened, handshakeFailed } from './classify.js';
import type { DetectConfig } from './config.js';
import { Slot, type EvidenceStore } from './evidence.js';
import { Aggregate, addressKey, endpointKey, type Finding, LastLookup } from './finding.js';
import { hashWords } from './hash.js';
import type { Endpoint } from '../tcp/endpoint.js';

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

/**
 * Sources seen with a single target so far: most sources, every spoofed one of a flood among them.
 * They live in a direct-mapped table of typed arrays, one slot per address hash, so that a million
 * of them make no object each: a source whose slot another source takes is forgotten, as the
 * oldest of the single-target sources would be from any bounded table.
 */
class SingleTargets {
  private size = 1024;
  private used = 0;
  private family = new Uint8Array(this.size);
  /** Source address, then target address, 4 words each; the target port; the first connection's id, start and outcome. */
  private addr = new Int32Array(this.size * 8);
  private port = new Uint16Array(this.size);
  private id = new Float64Array(this.size);
  private sec = new Float64Array(this.size);
  private nsec = new Uint32Array(this.size);
  private failed = new Uint8Array(this.size);

  constructor(private readonly maxSize: number) {}

  /** The slot holding `c`'s client, or -1. */
  find(c: Connection): number {
    const e = c.client;
    const i = this.slot(e);
    const a = this.addr;
    const o = i * 8;
    return this.family[i] === c.family && a[o] === e.a0 && a[o + 1] === e.a1 && a[o + 2] === e.a2 && a[o + 3] === e.a3 ? i : -1;
  }

  sameTarget(i: number, c: Connection): boolean {
    const t = c.server;
    const a = this.addr;
    const o = i * 8 + 4;
    return this.port[i] === t.port && a[o] === t.a0 && a[o + 1] === t.a1 && a[o + 2] === t.a2 && a[o + 3] === t.a3;
  }

  /** Remembers `c` as its client's single target, in place of whatever held the slot. */
  put(c: Connection, failed: boolean): void {
    if (this.used * 2 >= this.size && this.size < this.maxSize) this.grow();
    const i = this.slot(c.client);
    if (this.family[i] === 0) this.used++;
    this.write(i, c.family, c.client, c.server, c.server.port, c.id, c.startSec, c.startNsec, failed ? 1 : 0);
  }

  clear(i: number): void {
    this.family[i] = 0;
    this.used--;
  }

  /** The first connection of the source in slot `i`, for the scan it turns out to be. */
  first(i: number): { target: Pick<Endpoint, 'a0' | 'a1' | 'a2' | 'a3' | 'port'>; id: number; sec: number; nsec: number; failed: boolean } {
    const o = i * 8 + 4;
    const a = this.addr;
    const target = { a0: a[o]!, a1: a[o + 1]!, a2: a[o + 2]!, a3: a[o + 3]!, port: this.port[i]! };
    return { target, id: this.id[i]!, sec: this.sec[i]!, nsec: this.nsec[i]!, failed: this.failed[i] === 1 };
  }

  private slot(e: Pick<Endpoint, 'a0' | 'a1' | 'a2' | 'a3'>): number {
    return (this.size - 1) & hashWords(e.a0, e.a1, e.a2, e.a3);
  }

  private write(i: number, family: number, src: Pick<Endpoint, 'a0' | 'a1' | 'a2' | 'a3'>, dst: Pick<Endpoint, 'a0' | 'a1' | 'a2' | 'a3'>, port: number,
    id: number, sec: number, nsec: number, failed: number): void {
    const a = this.addr;
    const o = i * 8;
    this.family[i] = family;
    a[o] = src.a0; a[o + 1] = src.a1; a[o + 2] = src.a2; a[o + 3] = src.a3;
    a[o + 4] = dst.a0; a[o + 5] = dst.a1; a[o + 6] = dst.a2; a[o + 7] = dst.a3;
    this.port[i] = port;
    this.id[i] = id;
    this.sec[i] = sec;
    this.nsec[i] = nsec;
    this.failed[i] = failed;
  }

  private grow(): void {
    const { family, addr, port, id, sec, nsec, failed, size } = this;
    this.size = size * 2;
    this.used = 0;
    this.family = new Uint8Array(this.size);
    this.addr = new Int32Array(this.size * 8);
    this.port = new Uint16Array(this.size);
    this.id = new Float64Array(this.size);
    this.sec = new Float64Array(this.size);
    this.nsec = new Uint32Array(this.size);
    this.failed = new Uint8Array(this.size);
    const src = { a0: 0, a1: 0, a2: 0, a3: 0 };
    const dst = { a0: 0, a1: 0, a2: 0, a3: 0 };
    for (let k = 0; k < size; k++) {
      if (family[k] === 0) continue;
      const o = k * 8;
      src.a0 = addr[o]!; src.a1 = addr[o + 1]!; src.a2 = addr[o + 2]!; src.a3 = addr[o + 3]!;
      dst.a0 = addr[o + 4]!; dst.a1 = addr[o + 5]!; dst.a2 = addr[o + 6]!; dst.a3 = addr[o + 7]!;
      const i = this.slot(src);
      if (this.family[i] === 0) this.used++;
      this.write(i, family[k]!, src, dst, port[k]!, id[k]!, sec[k]!, nsec[k]!, failed[k]!);
    }
  }
}

/**
 * port_scan: one source sending SYNs to many distinct address:port targets within the window.
 * Sources with one target so far are kept in SingleTargets; those with more in a map bounded by
 * portScan.sources (the oldest half goes when it is full).
 */
export class PortScanDetector {
  private readonly singles: SingleTargets;
  private readonly scans = new Map<number | string, Scan>();
  private readonly lastClient = new LastLookup<Scan | null>();
  private readonly lastServer = new LastLookup<boolean>();
  /** Sources found scanning, for other detectors to fold their refused and unanswered connections into the scan. */
  readonly scanners = new Set<number | string>();

  constructor(private readonly config: DetectConfig, private readonly evidence: EvidenceStore) {
    let size = 1024;
    while (size < config.portScan.sources * 2 && size < 1 << 22) size *= 2;
    this.singles = new SingleTargets(size);
  }

  connection(c: Connection): void {
    if (!clientOpened(c)) return;
    const cfg = this.config.portScan;
    // The same client to the same server again (a busy client): nothing new for a scan.
    if (this.lastClient.is(c.client, false) && this.lastServer.is(c.server) && this.lastClient.value === null) return;
    const key = addressKey(c.family, c.client);
    let s = this.scans.get(key);
    if (s === undefined) {
      const i = this.singles.find(c);
      if (i === -1 || this.singles.sameTarget(i, c)) {
        if (i === -1) this.singles.put(c, handshakeFailed(c));
        this.lastClient.remember(c.client, null);
        this.lastServer.remember(c.server, true);
        return;
      }
      // A second target: the source becomes a possible scan, starting from its first connection.
      const first = this.singles.first(i);
      this.singles.clear(i);
      if (this.scans.size >= cfg.sources) this.evict();
      s = new Scan(c);
      s.windowStart = first.sec;
      s.targets.add(endpointKey(c.family, first.target));
      s.hosts.add(addressKey(c.family, first.target));
      s.ports.add(first.target.port);
      if (first.failed) s.failed++;
      s.agg.addEarlier(first.id, first.sec, first.nsec, first.failed, this.config.connectionIds);
      this.scans.set(key, s);
    }
    this.lastClient.remember(c.client, s);
    this.lastServer.remember(c.server, true);
    if (c.startSec - s.windowStart > cfg.window) {
      s.targets.clear();
      s.windowStart = c.startSec;
    }
    const cap = cfg.criticalTargets + 1;
    if (s.targets.size < cap) s.targets.add(endpointKey(c.family, c.server));
    if (s.hosts.size < cap) s.hosts.add(addressKey(c.family, c.server));
    if (s.ports.size < cap) s.ports.add(c.server.port);
    if (s.targets.size > s.peak) s.peak = s.targets.size;
    const failed = handshakeFailed(c);
    if (failed) s.failed++;
    s.agg.add(c, failed, this.config.connectionIds);
    if (failed) s.agg.takeEvidence(this.evidence, c, [Slot.Syn, Slot.Rst], this.config.evidence, 1);
  }

  /** Full of multi-target sources: the oldest half goes. */
  private evict(): void {
    let n = this.scans.size >> 1;
    for (const k of this.scans.keys()) {
      if (n-- <= 0) break;
      this.scans.delete(k);
    }
  }

  findings(): Finding[] {
    const cfg = this.config.portScan;
    const out: Finding[] = [];
    for (const [key, s] of this.scans) {
      if (s.peak < cfg.targets) continue;
      this.scanners.add(key);
      const a = s.agg;
      const f = a.finding('port_scan', s.peak >= cfg.criticalTargets ? 'critical' : 'warning', {
        targets: s.peak, ports: s.ports.size, hosts: s.hosts.size, failed: s.failed,
      });
      // A scan is its source's, from whatever ports: the address alone.
      if (f.endpoint?.of === 'endpoint') f.endpoint = { ...f.endpoint, of: 'address' };
      out.push(f);
    }
    return out;
  }
}
