import type { DecodedPacket } from './segment.js';

/** TCP checksum over the pseudo-header (RFC 9293 section 3.1; RFC 8200 section 8.1 for IPv6). */
export function tcpChecksumOk(d: Uint8Array, p: DecodedPacket): boolean {
  const start = p.tcpOffset;
  const len = p.tcpHeaderLen + p.payloadLen;
  if (start + len > p.end) return true; // not all captured: Zeek does not judge it either
  let sum = 0;
  if (p.ipVersion === 4) {
    sum += (p.s0 >>> 16) + (p.s0 & 0xffff) + (p.d0 >>> 16) + (p.d0 & 0xffff) + 6 + len;
  } else {
    for (const w of [p.s0, p.s1, p.s2, p.s3, p.d0, p.d1, p.d2, p.d3]) sum += (w >>> 16) + (w & 0xffff);
    sum += 6 + len;
  }
  for (let i = 0; i + 1 < len; i += 2) sum += (d[start + i]! << 8) | d[start + i + 1]!;
  if (len & 1) sum += d[start + len - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum === 0xffff;
}
