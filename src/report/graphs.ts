import { type CaptureInput, type PacketBatch, readCaptures } from '../capture/index.js';
import { DecodedPacket, decodePacket, decodeTcpOptions, TH_ACK, TH_FIN, TH_RST, TH_SYN } from '../decode/index.js';
import { u32 } from '../decode/words.js';
import type { ConnectionRecord } from '../tcp/index.js';

/** Connections in findings, and first in the table, that get graphs (the page's others say they have none). */
export const GRAPHED_IN_FINDINGS = 100;
export const GRAPHED_FIRST = 100;
/** Segments drawn per connection at most, and in all: past them, the page says how many were left out (a page stays a few MB). */
export const GRAPH_POINTS = 3000;
export const GRAPH_POINTS_IN_ALL = 100_000;

/** Per segment in GraphSeries.points: seconds since the connection's first packet, direction (0: from the client), relative sequence number, payload length, relative ACK (-1: none), window in bytes, G_* flags. */
export const POINT_FIELDS = 7;
export const G_SYN = 1;
export const G_FIN = 2;
export const G_RST = 4;
/** Its sequence space was sent before (a retransmission, as tcptrace draws it). */
export const G_RETRANSMITTED = 8;
export const G_ZERO_WINDOW = 16;

/** The segments of one connection, for the page's time-sequence, round-trip and throughput graphs. */
export interface GraphSeries {
  points: number[];
  /** SACK blocks: seconds, direction of the segment that carried them, left and right edge (relative to the other direction's sequence). */
  sack: number[];
  /** Segments past GRAPH_POINTS, not drawn. */
  dropped: number;
}

interface Followed {
  c: ConnectionRecord;
  series: GraphSeries;
  /** Per direction: the first sequence number seen (the ISN of a SYN), the highest end sent, the window scale its SYN offered. */
  isn: [number | null, number | null];
  high: [number, number];
  wscale: [number, number];
}

/**
 * The segments of the connections a page graphs, read in a second pass over the captures (the
 * first keeps no packets): those in findings and the first of the table. Inputs that cannot be read
 * twice (standard input) give none; the page says so.
 */
export async function collectGraphs(inputs: readonly CaptureInput[], report: {
  connections: (() => Iterable<ConnectionRecord>) | null; findings: readonly { connections: readonly number[] }[];
}): Promise<Map<number, GraphSeries>> {
  const out = new Map<number, GraphSeries>();
  if (!report.connections || inputs.some((i) => i === '-')) return out;
  const wanted = new Set<number>();
  for (const f of report.findings) {
    for (const id of f.connections) {
      if (wanted.size >= GRAPHED_IN_FINDINGS) break;
      wanted.add(id);
    }
  }
  for (let id = 1; id <= GRAPHED_FIRST; id++) wanted.add(id);
  // By four-tuple: the connections followed, each with the packets it spans.
  const byTuple = new Map<string, Followed[]>();
  let from = Infinity;
  let to = 0;
  for (const c of report.connections()) {
    if (!wanted.has(c.id)) continue;
    const f: Followed = { c, series: { points: [], sack: [], dropped: 0 }, isn: [null, null], high: [0, 0], wscale: [-1, -1] };
    const key = tupleKey(c.family, c.client.a0, c.client.a1, c.client.a2, c.client.a3, c.client.port, c.server.a0, c.server.a1, c.server.a2, c.server.a3, c.server.port);
    const list = byTuple.get(key) ?? [];
    list.push(f);
    byTuple.set(key, list);
    out.set(c.id, f.series);
    from = Math.min(from, c.firstPacket);
    to = Math.max(to, c.lastPacket);
  }
  if (out.size === 0) return out;
  const p = new DecodedPacket();
  let n = 0;
  const budget = { left: GRAPH_POINTS_IN_ALL };
  await readCaptures(inputs, {
    record(b: PacketBatch, i: number) {
      n++;
      if (n < from || n > to) return;
      if (!decodePacket(b.data, b.start[i]!, b.caplen[i]!, b.origLen[i]!, b.linkType[i]!, p)) return;
      const fam = p.ipVersion === 6 ? 6 : 4;
      let list = byTuple.get(tupleKey(fam, p.s0, p.s1, p.s2, p.s3, p.sport, p.d0, p.d1, p.d2, p.d3, p.dport));
      let dir = 0;
      if (list === undefined) {
        list = byTuple.get(tupleKey(fam, p.d0, p.d1, p.d2, p.d3, p.dport, p.s0, p.s1, p.s2, p.s3, p.sport));
        dir = 1;
      }
      if (list === undefined) return;
      const f = list.find((x) => x.c.firstPacket <= n && n <= x.c.lastPacket);
      if (f !== undefined) add(f, p, dir, b.sec[i]!, b.nsec[i]!, b.data, budget);
    },
  }).catch(() => {
    // The capture was read to its damage once already: the graphs show what came before it.
  });
  return out;
}

function tupleKey(family: number, a0: number, a1: number, a2: number, a3: number, ap: number, b0: number, b1: number, b2: number, b3: number, bp: number): string {
  return `${family},${a0},${a1},${a2},${a3},${ap},${b0},${b1},${b2},${b3},${bp}`;
}

function add(f: Followed, p: DecodedPacket, dir: number, sec: number, nsec: number, data: Uint8Array, budget: { left: number }): void {
  const s = f.series;
  const fl = p.flags;
  if ((fl & TH_SYN) !== 0) {
    f.isn[dir] = p.seq;
    f.wscale[dir] = p.wscale;
  }
  if (f.isn[dir] === null) f.isn[dir] = p.seq;
  if (s.points.length >= GRAPH_POINTS * POINT_FIELDS || budget.left === 0) {
    s.dropped++;
    return;
  }
  budget.left--;
  const rel = (p.seq - f.isn[dir]!) | 0;
  const occupies = p.payloadLen + ((fl & TH_SYN) !== 0 ? 1 : 0) + ((fl & TH_FIN) !== 0 ? 1 : 0);
  const end = rel + occupies;
  let flags = ((fl & TH_SYN) !== 0 ? G_SYN : 0) | ((fl & TH_FIN) !== 0 ? G_FIN : 0) | ((fl & TH_RST) !== 0 ? G_RST : 0);
  if (occupies > 0 && end <= f.high[dir] && f.high[dir] > 0) flags |= G_RETRANSMITTED;
  if (end > f.high[dir]) f.high[dir] = end;
  const other = 1 - dir;
  const ack = (fl & TH_ACK) !== 0 && f.isn[other] !== null ? (p.ack - f.isn[other]!) | 0 : -1;
  // A window is scaled when both SYNs offered a scale (RFC 7323); SYNs themselves are not scaled.
  const scale = (fl & TH_SYN) === 0 && f.wscale[0] >= 0 && f.wscale[1] >= 0 ? f.wscale[dir] : 0;
  const win = p.window * 2 ** scale;
  if (win === 0 && (fl & (TH_RST | TH_SYN)) === 0) flags |= G_ZERO_WINDOW;
  const t = sec - f.c.startSec + (nsec - f.c.startNsec) * 1e-9;
  s.points.push(Math.round(t * 1e6) / 1e6, dir, rel, p.payloadLen, ack, win, flags);
  // The SACK blocks (RFC 2018) the segment carries, from decode's walk of its options.
  if (p.tcpHeaderLen > 20 && f.isn[other] !== null) {
    if (!p.optionsDecoded) decodeTcpOptions(data, p);
    for (let k = 0, q = p.sackAt; k < p.sackBlocks && q + 8 <= p.end; k++, q += 8) {
      s.sack.push(Math.round(t * 1e6) / 1e6, dir, (u32(data, q) - f.isn[other]!) | 0, (u32(data, q + 4) - f.isn[other]!) | 0);
    }
  }
}
