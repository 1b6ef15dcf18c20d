/**
 * The MPTCP option (TCP option 30, RFC 8684) of a SYN or RST, for tcp/mptcp.ts: the key of an
 * MP_CAPABLE, the token of an MP_JOIN, or an MP_FASTCLOSE or MP_TCPRST that aborts a subflow.
 */
import type { DecodedPacket } from './segment.js';
import { i32 } from './words.js';

/** DecodedPacket.mptcpSubtype: RFC 8684's subtypes, and MP_CAPABLE without a key (the SYN of version 1). */
export const MPTCP_SUB_CAPABLE = 0;
export const MPTCP_SUB_JOIN = 1;
export const MPTCP_SUB_CAPABLE_NO_KEY = 2;
export const MPTCP_SUB_FASTCLOSE = 7;
export const MPTCP_SUB_TCPRST = 8;

/** The option of `len` bytes at `p` (its kind byte) into `out`, when it is one of those. */
export function readMptcp(d: Uint8Array, p: number, len: number, out: DecodedPacket): void {
  if (len < 4) return;
  const sub = d[p + 2]! >> 4;
  if (sub > MPTCP_SUB_JOIN && sub !== MPTCP_SUB_FASTCLOSE && sub !== MPTCP_SUB_TCPRST) return;
  out.mptcpSubtype = sub === MPTCP_SUB_CAPABLE && len < 12 ? MPTCP_SUB_CAPABLE_NO_KEY : sub;
  out.mptcpVersion = d[p + 2]! & 0xf;
  out.mptcpKeyHi = len >= 8 ? i32(d, p + 4) : 0;
  out.mptcpKeyLo = len >= 12 ? i32(d, p + 8) : 0;
}

/** The MPTCP option of the RST just decoded into `out`, if it has one (its other options are not read). */
export function scanMptcp(d: Uint8Array, out: DecodedPacket): void {
  out.mptcpSubtype = -1;
  const end = out.tcpOffset + out.tcpHeaderLen;
  for (let p = out.tcpOffset + 20; p < end;) {
    const kind = d[p]!;
    if (kind === 0) return;
    if (kind === 1) {
      p++;
      continue;
    }
    const len = p + 1 < end ? d[p + 1]! : 0;
    if (len < 2 || p + len > end) return;
    if (kind === 30) {
      readMptcp(d, p, len, out);
      // An MP_FASTCLOSE says more than an MP_TCPRST beside it (the kernel sends both): the whole MPTCP connection went.
      if (out.mptcpSubtype === MPTCP_SUB_FASTCLOSE) return;
    }
    p += len;
  }
}
