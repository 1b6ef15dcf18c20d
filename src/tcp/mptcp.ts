/**
 * MPTCP (RFC 8684): which TCP connections are subflows of one MPTCP connection. The SYN,ACK of an
 * MP_CAPABLE handshake carries the server's key, whose hash is the token every later subflow's
 * MP_JOIN SYN names (SHA-256 in version 1, SHA-1 in version 0, the hash's first 32 bits).
 */
import { createHash } from 'node:crypto';
import { MPTCP_SUB_CAPABLE, MPTCP_SUB_FASTCLOSE, MPTCP_SUB_JOIN, MPTCP_SUB_TCPRST } from '../decode/mptcp.js';
import { type DecodedPacket, TH_ACK, TH_RST } from '../decode/segment.js';
import { CI, MPTCP_CAPABLE, MPTCP_FASTCLOSE, MPTCP_JOIN, MPTCP_KEY, MPTCP_TCPRST, MPTCP_V0 } from './layout.js';

/**
 * What the MPTCP option of a SYN or RST says of the subflow: it offers MPTCP, the server's key, the
 * token of the connection it joins, or that a reset aborted the MPTCP connection or the subflow.
 */
export function mptcpSegment(i: Int32Array, ci: number, p: DecodedPacket, fromClient: boolean): void {
  const sub = p.mptcpSubtype;
  if ((p.flags & TH_RST) !== 0) {
    if (sub === MPTCP_SUB_FASTCLOSE) i[ci + CI.mptcp]! |= MPTCP_FASTCLOSE;
    else if (sub === MPTCP_SUB_TCPRST) i[ci + CI.mptcp]! |= MPTCP_TCPRST;
    return;
  }
  if (sub === MPTCP_SUB_JOIN) {
    if (fromClient && (p.flags & TH_ACK) === 0) {
      i[ci + CI.mptcp]! |= MPTCP_JOIN;
      i[ci + CI.mptcpKeyHi] = p.mptcpKeyHi;
    }
    return;
  }
  if (fromClient) {
    i[ci + CI.mptcp]! |= MPTCP_CAPABLE | (p.mptcpVersion === 0 ? MPTCP_V0 : 0);
  } else if (sub === MPTCP_SUB_CAPABLE && (p.flags & TH_ACK) !== 0) {
    i[ci + CI.mptcp]! |= MPTCP_KEY;
    i[ci + CI.mptcpKeyHi] = p.mptcpKeyHi;
    i[ci + CI.mptcpKeyLo] = p.mptcpKeyLo;
  }
}

/** A connection's MPTCP facts as its record keeps them (CI.mptcp and the key or token words). */
export interface MptcpFacts {
  flags: number;
  keyHi: number;
  keyLo: number;
}

/** The token of the MPTCP connection a subflow belongs to (8 hex digits), or null for none known. */
export function mptcpToken(m: MptcpFacts): string | null {
  if (m.flags & MPTCP_JOIN) return (m.keyHi >>> 0).toString(16).padStart(8, '0');
  if ((m.flags & MPTCP_KEY) === 0) return null;
  const key = Buffer.alloc(8);
  key.writeInt32BE(m.keyHi, 0);
  key.writeInt32BE(m.keyLo, 4);
  return createHash(m.flags & MPTCP_V0 ? 'sha1' : 'sha256').update(key).digest().subarray(0, 4).toString('hex');
}

/** Where a subflow stands in its MPTCP connection: the MPTCP connection's number (1, 2, ... in order of first subflow), its own, and the token. */
export interface MptcpSubflow {
  connection: number;
  subflow: number;
  token: string;
}

/**
 * Subflows gathered as their connections finish (in any order), then numbered: MPTCP connections in
 * order of their first subflow's id, the subflows of each in id order. A join whose token names no
 * MP_CAPABLE subflow seen is an MPTCP connection of its own (its first subflow was before the capture).
 */
export class MptcpGroups {
  private readonly byToken = new Map<string, number[]>();

  add(id: number, m: MptcpFacts): void {
    if ((m.flags & (MPTCP_CAPABLE | MPTCP_JOIN)) === 0) return;
    const token = mptcpToken(m);
    if (token === null) return;
    let ids = this.byToken.get(token);
    if (ids === undefined) this.byToken.set(token, (ids = []));
    ids.push(id);
  }

  /** Each subflow's place, by connection id. */
  resolve(): Map<number, MptcpSubflow> {
    const groups = [...this.byToken].map(([token, ids]) => ({ token, ids: ids.sort((a, b) => a - b) }))
      .sort((a, b) => a.ids[0]! - b.ids[0]!);
    const out = new Map<number, MptcpSubflow>();
    groups.forEach((g, n) => g.ids.forEach((id, k) => out.set(id, { connection: n + 1, subflow: k + 1, token: g.token })));
    return out;
  }
}
