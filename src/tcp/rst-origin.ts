import type { DecodedPacket } from '../decode/segment.js';
import { segmentTimestamps } from '../decode/packet.js';
import { EF_SEQ_SEEN, EF_USES_TS, EI } from './layout.js';

/** Who sent a RST: the host it claims to come from, a device on the path, or the capture cannot tell. */
export const enum RstOrigin {
  None = 0,
  Peer = 1,
  Middlebox = 2,
  Unknown = 3,
}

export const RST_ORIGIN_NAMES = ['', 'peer', 'middlebox', 'unknown'] as const;

/** What the judgement rests on, one bit each, beside the origin in EI.rstOrigin. */
export const RO_TTL_DIFFERS = 1 << 2;
export const RO_NO_BASELINE = 1 << 3;
export const RO_NO_TIMESTAMPS = 1 << 4;
export const RO_WINDOW_EDGE = 1 << 5;
export const RO_IP_ID = 1 << 6;
const RO_COUNT_SHIFT = 8;
/** IPv4 IDs a host may have used up since its last packet of the connection (on other connections) before a RST's is out of its run. */
const IP_ID_RUN = 4096;

/**
 * A RST `p` from side `s` to side `r`, judged as it is captured, before the state machine takes it.
 * A host's packets reach the capture point over the same hops, so they arrive with one TTL (or hop
 * limit): a RST with another was sent from elsewhere on the path, a middlebox forging it. With the
 * same TTL it is the host's own; Linux sends a RST for a socket it no longer has without timestamps
 * and with an IPv4 ID of 0, so neither says anything against it. Missing timestamps where the host
 * uses them, and a sequence number exactly at the receiver's window edge (where a blind forger aims),
 * are kept as reasons. A side with no other packet has nothing to compare with: unknown. Only its
 * first RST is judged; the others are counted (RSTs racing each other).
 */
export function judgeRst(i: Int32Array, s: number, r: number, p: DecodedPacket): void {
  const was = i[s + EI.rstOrigin]!;
  if (was !== 0) {
    i[s + EI.rstOrigin] = was + (1 << RO_COUNT_SHIFT);
    return;
  }
  let why = 0;
  let origin = RstOrigin.Peer;
  const flags = i[s + EI.flags]!;
  if ((flags & EF_SEQ_SEEN) === 0) {
    why |= RO_NO_BASELINE;
    origin = RstOrigin.Unknown;
  } else if (Math.abs(p.ttl - i[s + EI.ttl]!) > 1) {
    why |= RO_TTL_DIFFERS;
    origin = RstOrigin.Middlebox;
  }
  const rf = i[r + EI.flags]!;
  // Both SYNs offered them: every segment of the connection carries them.
  if ((flags & rf & EF_USES_TS) !== 0 && !segmentTimestamps(p)) why |= RO_NO_TIMESTAMPS;
  // A host numbers the IPv4 packets of a connection upwards, one by one (Linux: per socket); a RST
  // far ahead of its last, behind it, or of 0 where the last was not, came from another counter.
  if (p.ipVersion === 4 && (flags & EF_SEQ_SEEN) !== 0) {
    const last = i[s + EI.lastIpId]!;
    const ahead = (p.ipId - last) & 0xffff;
    if ((p.ipId === 0 && last !== 0) || ahead > IP_ID_RUN) why |= RO_IP_ID;
  }
  if ((rf & EF_SEQ_SEEN) !== 0) {
    const scale = i[s + EI.wscale]! >= 0 && i[r + EI.wscale]! >= 0 ? i[r + EI.wscale]! : 0;
    if (p.seq === ((i[r + EI.lastAck]! + i[r + EI.window]! * (1 << scale)) | 0) && i[r + EI.window] !== 0) why |= RO_WINDOW_EDGE;
  }
  i[s + EI.rstOrigin] = origin | why | (1 << RO_COUNT_SHIFT);
  i[s + EI.rstTtl] = p.ttl;
}

/** The origin of a side's first RST (RstOrigin), its reasons (RO_*) and how many RSTs it sent, from EI.rstOrigin. */
export function rstOriginOf(packed: number): { origin: RstOrigin; why: number; count: number } {
  return { origin: (packed & 3) as RstOrigin, why: packed & 0xfc, count: packed >>> RO_COUNT_SHIFT };
}
