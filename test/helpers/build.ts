import { analyze, type AnalyzeOptions, type Report } from '../../src/index.js';
import type { ConnectionRecord } from '../../src/tcp/index.js';

/** One TCP segment of a synthetic capture; `from` is the client ('c') or the server ('s'). */
export interface Seg {
  t: number;
  from: 'c' | 's';
  /** tcpdump notation: S, S., ., P., F., R, R. (and FP., SF for oddities). */
  flags: string;
  seq: number;
  ack?: number;
  len?: number;
  win?: number;
  /** Raw TCP option bytes (padded to 4 by the builder). */
  options?: number[];
  /** The client's port, when not CLIENT.port. */
  cport?: number;
  /** The server's port and address, when not SERVER's; the client's address, when not CLIENT's. */
  sport?: number;
  sip?: number[];
  cip?: number[];
}

const FLAG_BITS: Record<string, number> = { F: 1, S: 2, R: 4, P: 8, '.': 16, U: 32, E: 64, W: 128 };

export const CLIENT = { ip: [10, 0, 0, 1], port: 40000 };
export const SERVER = { ip: [10, 0, 0, 2], port: 80 };

export function tcpFlags(s: string): number {
  let f = 0;
  for (const ch of s) f |= FLAG_BITS[ch] ?? 0;
  return f;
}

/** An Ethernet/IPv4/TCP frame. */
export function frame(seg: Seg): Buffer {
  const opts = seg.options ?? [];
  const optLen = (opts.length + 3) & ~3;
  const len = seg.len ?? 0;
  const tcpLen = 20 + optLen;
  const ipLen = 20 + tcpLen + len;
  const b = Buffer.alloc(14 + ipLen);
  b.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1], 0);
  b.writeUInt16BE(0x0800, 12);
  const ip = 14;
  b[ip] = 0x45;
  b.writeUInt16BE(ipLen, ip + 2);
  b[ip + 8] = 64;
  b[ip + 9] = 6;
  const client = { ip: seg.cip ?? CLIENT.ip, port: seg.cport ?? CLIENT.port };
  const server = { ip: seg.sip ?? SERVER.ip, port: seg.sport ?? SERVER.port };
  const [src, dst] = seg.from === 'c' ? [client, server] : [server, client];
  b.set(src.ip, ip + 12);
  b.set(dst.ip, ip + 16);
  const t = ip + 20;
  b.writeUInt16BE(src.port, t);
  b.writeUInt16BE(dst.port, t + 2);
  b.writeUInt32BE(seg.seq >>> 0, t + 4);
  b.writeUInt32BE((seg.ack ?? 0) >>> 0, t + 8);
  b[t + 12] = (tcpLen / 4) << 4;
  b[t + 13] = tcpFlags(seg.flags);
  b.writeUInt16BE(seg.win ?? 1000, t + 14);
  b.set(opts, t + 20);
  return b;
}

export interface PcapOptions {
  bigEndian?: boolean;
  nanos?: boolean;
  linkType?: number;
  snaplen?: number;
  /** Base time (seconds since the epoch) added to each segment's `t`. */
  base?: number;
}

export function pcapHeader(o: PcapOptions = {}): Buffer {
  const h = Buffer.alloc(24);
  const w32 = (v: number, off: number) => (o.bigEndian ? h.writeUInt32BE(v >>> 0, off) : h.writeUInt32LE(v >>> 0, off));
  const w16 = (v: number, off: number) => (o.bigEndian ? h.writeUInt16BE(v, off) : h.writeUInt16LE(v, off));
  w32(o.nanos ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  w16(2, 4);
  w16(4, 6);
  w32(o.snaplen ?? 262144, 16);
  w32(o.linkType ?? 1, 20);
  return h;
}

export function pcapRecord(data: Buffer, sec: number, frac: number, o: PcapOptions = {}, origLen = data.length): Buffer {
  const h = Buffer.alloc(16);
  const w32 = (v: number, off: number) => (o.bigEndian ? h.writeUInt32BE(v >>> 0, off) : h.writeUInt32LE(v >>> 0, off));
  w32(sec, 0);
  w32(frac, 4);
  w32(data.length, 8);
  w32(origLen, 12);
  return Buffer.concat([h, data]);
}

/** A classic pcap file holding the segments, timestamps base + t. */
export function buildPcap(segs: Seg[], o: PcapOptions = {}): Buffer {
  const base = o.base ?? 1_700_000_000;
  const parts = [pcapHeader(o)];
  for (const s of segs) {
    const t = base + s.t;
    const sec = Math.floor(t);
    const frac = Math.round((t - sec) * (o.nanos ? 1e9 : 1e6));
    parts.push(pcapRecord(frame(s), sec, frac, o));
  }
  return Buffer.concat(parts);
}

export function memoryInput(name: string, ...chunks: Buffer[]) {
  return { name, stream: (async function* () { yield* chunks; })() };
}

export async function analyzeSegs(segs: Seg[], options: AnalyzeOptions = {}): Promise<Report> {
  return analyze([memoryInput('test.pcap', buildPcap(segs))], { transitions: true, ...options });
}

export function conns(r: Report): ConnectionRecord[] {
  if (!r.connections) throw new Error('report kept no connections');
  return [...r.connections()];
}
