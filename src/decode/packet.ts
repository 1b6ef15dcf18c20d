import {
  DLT_RAW_BSD, DLT_RAW_OPENBSD, LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_PKTAP, LINKTYPE_RAW,
} from './linktypes.js';
import { linkLayer, NEXT_ETHERNET, NEXT_IP, pppToEthertype } from './links.js';
import { NotDecoded } from './reasons.js';
import { DecodedPacket, Encap, TH_RST, TH_SYN } from './segment.js';
import { i32, le32, u16, u32 } from './words.js';
import { readMptcp, scanMptcp } from './mptcp.js';

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_ARP = 0x0806;
const ETH_MPLS = 0x8847;
const ETH_FABRICPATH = 0x8903;
const ETH_PPPOE_SESSION = 0x8864;
const ETH_MPLS_MC = 0x8848;
const ETH_8021Q = 0x8100;
const ETH_8021AD = 0x88a8;
const ETH_QINQ_OLD = 0x9100;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_GRE = 47;
const IPPROTO_IPIP = 4;
const IPPROTO_IPV6 = 41;
const ETH_TEB = 0x6558;
const ETH_ERSPAN_2 = 0x88be;
const ETH_ERSPAN_3 = 0x22eb;
const ETH_PPP = 0x880b;
const PORT_VXLAN = 4789;
const PORT_GENEVE = 6081;
const PORT_GTPU = 2152;

/**
 * Decodes link, IP and TCP headers of the frame at `data[start .. start + caplen)` (`origLen`
 * is its length on the wire) into `out`. Returns true for a TCP segment; otherwise
 * `out.reason`/`out.reasonDetail` say why not. Never throws on malformed bytes.
 */
export function decodePacket(data: Uint8Array, start: number, caplen: number, origLen: number, linkType: number, out: DecodedPacket): boolean {
  out.reason = NotDecoded.None;
  out.reasonDetail = 0;
  out.vlanTags = 0;
  out.encap = 0;
  out.encapDepth = 0;
  out.fragment = false;
  out.data = data;
  out.frameStart = start;
  out.end = start + caplen;
  out.wireLen = origLen;
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      return ethernet(data, start, origLen, out);
    case LINKTYPE_LINUX_SLL:
      if (caplen < 16) return fail(out, NotDecoded.TruncatedLink, 0);
      return etherType(data, start + 16, u16(data, start + 14), origLen, out);
    case LINKTYPE_LINUX_SLL2:
      if (caplen < 20) return fail(out, NotDecoded.TruncatedLink, 0);
      return etherType(data, start + 20, u16(data, start), origLen, out);
    case LINKTYPE_RAW:
    case DLT_RAW_BSD:
    case DLT_RAW_OPENBSD:
      if (caplen < 1) return fail(out, NotDecoded.TruncatedIp, 0);
      return ipByVersion(data, start, origLen, out);
    case LINKTYPE_IPV4:
      return ipv4(data, start, origLen, out);
    case LINKTYPE_IPV6:
      return ipv6(data, start, origLen, out);
    case LINKTYPE_PKTAP: {
      // Its header's own length, then the link type of the frame it wraps (not another tap).
      const hl = le32(data, start);
      const inner = le32(data, start + 8);
      if (caplen < 12 || hl < 12 || hl > caplen || inner === LINKTYPE_PKTAP) return fail(out, NotDecoded.TruncatedLink, 0);
      const ok = decodePacket(data, start + hl, caplen - hl, origLen - hl, inner, out);
      out.frameStart = start;
      out.wireLen = origLen;
      return ok;
    }
    default: {
      const o = linkLayer(data, start, linkType, out);
      if (o < 0) return false;
      const next = out.linkNext;
      if (next === NEXT_ETHERNET) return ethernet(data, o, origLen, out);
      return next === NEXT_IP ? ipByVersion(data, o, origLen, out) : etherType(data, o, next, origLen, out);
    }
  }
}

function fail(out: DecodedPacket, reason: NotDecoded, detail: number): false {
  out.reason = reason;
  out.reasonDetail = detail;
  return false;
}

function ethernet(d: Uint8Array, start: number, origLen: number, out: DecodedPacket): boolean {
  if (start + 14 > out.end) return fail(out, NotDecoded.TruncatedLink, 0);
  let o = start + 12;
  let type = u16(d, o);
  while (type === ETH_8021Q || type === ETH_8021AD || type === ETH_QINQ_OLD) {
    if (o + 6 > out.end) return fail(out, NotDecoded.TruncatedLink, 0);
    out.vlanTags++;
    o += 4;
    type = u16(d, o);
  }
  if (type < 0x0600) return fail(out, NotDecoded.Llc, type);
  return etherType(d, o + 2, type, origLen, out);
}

function etherType(d: Uint8Array, o: number, type: number, origLen: number, out: DecodedPacket): boolean {
  if (type === ETH_IPV4) return ipv4(d, o, origLen, out);
  if (type === ETH_IPV6) return ipv6(d, o, origLen, out);
  if (type === ETH_FABRICPATH) {
    // Cisco FabricPath: the 2-byte FTag/TTL after its ethertype, then the original Ethernet frame.
    return enter(out, Encap.FabricPath) && ethernet(d, o + 2, origLen, out);
  }
  if (type === ETH_PPPOE_SESSION) {
    // RFC 2516: 6-byte PPPoE header, then the PPP protocol.
    if (o + 8 > out.end) return fail(out, NotDecoded.TruncatedLink, 0);
    return enter(out, Encap.Pppoe) && ppp(d, o + 6, origLen, out);
  }
  if (type === ETH_MPLS || type === ETH_MPLS_MC) {
    // RFC 3032 label stack entries up to the bottom-of-stack bit; the payload's version nibble tells IPv4 from IPv6.
    for (;;) {
      if (o + 4 > out.end) return fail(out, NotDecoded.TruncatedLink, 0);
      const bottom = d[o + 2]! & 1;
      o += 4;
      if (bottom) break;
    }
    if (o >= out.end) return fail(out, NotDecoded.TruncatedIp, 0);
    return ipByVersion(d, o, origLen, out);
  }
  if (type === ETH_ARP) return fail(out, NotDecoded.Arp, 0);
  return fail(out, NotDecoded.OtherEthertype, type);
}

function ipByVersion(d: Uint8Array, o: number, origLen: number, out: DecodedPacket): boolean {
  const v = d[o]! >> 4;
  if (v === 4) return ipv4(d, o, origLen, out);
  if (v === 6) return ipv6(d, o, origLen, out);
  return fail(out, NotDecoded.IpVersion, v);
}

function ipv4(d: Uint8Array, o: number, origLen: number, out: DecodedPacket): boolean {
  if (o + 20 > out.end) return fail(out, NotDecoded.TruncatedIp, 0);
  const vihl = d[o]!;
  if (vihl >> 4 !== 4) return fail(out, NotDecoded.IpVersion, vihl >> 4);
  const hl = (vihl & 0x0f) * 4;
  let total = u16(d, o + 2);
  if (hl < 20) return fail(out, NotDecoded.BadIpHeader, 0);
  // A zero total length is what TSO segments captured before segmentation carry.
  if (total === 0) total = origLen - (o - out.frameStart);
  if (total < hl) return fail(out, NotDecoded.BadIpHeader, 0);
  if (o + hl > out.end) return fail(out, NotDecoded.TruncatedIp, 0);
  out.ipVersion = 4;
  out.ipOffset = o;
  if (out.encapDepth === 0) out.outerIpOffset = o;
  out.ipHeaderLen = hl;
  out.ipTotalLen = total;
  out.ipId = u16(d, o + 4);
  out.ttl = d[o + 8]!;
  out.s0 = i32(d, o + 12); out.s1 = 0; out.s2 = 0; out.s3 = 0;
  out.d0 = i32(d, o + 16); out.d1 = 0; out.d2 = 0; out.d3 = 0;
  const frag = u16(d, o + 6);
  const proto = d[o + 9]!;
  if (frag & 0x3fff) {
    out.fragment = true;
    // Only the first fragment carries the TCP header; later ones are counted, not decoded.
    if (frag & 0x1fff) return fail(out, NotDecoded.IpFragment, proto);
  }
  if (proto !== IPPROTO_TCP) return ipPayload(d, o + hl, proto, o + total, origLen, out);
  return tcp(d, o + hl, total - hl, out);
}

function ipv6(d: Uint8Array, o: number, origLen: number, out: DecodedPacket): boolean {
  if (o + 40 > out.end) return fail(out, NotDecoded.TruncatedIp, 0);
  if (d[o]! >> 4 !== 6) return fail(out, NotDecoded.IpVersion, d[o]! >> 4);
  let payload = u16(d, o + 4);
  if (payload === 0) payload = origLen - (o - out.frameStart) - 40;
  out.ipVersion = 6;
  out.ipOffset = o;
  if (out.encapDepth === 0) out.outerIpOffset = o;
  out.ipTotalLen = 40 + payload;
  out.ipId = 0;
  out.ttl = d[o + 7]!;
  out.s0 = i32(d, o + 8); out.s1 = i32(d, o + 12); out.s2 = i32(d, o + 16); out.s3 = i32(d, o + 20);
  out.d0 = i32(d, o + 24); out.d1 = i32(d, o + 28); out.d2 = i32(d, o + 32); out.d3 = i32(d, o + 36);
  let next = d[o + 6]!;
  let p = o + 40;
  const end = o + 40 + payload;
  // RFC 8200 section 4: walk the extension header chain to the upper-layer header.
  for (;;) {
    if (next === IPPROTO_TCP) break;
    if (next === 0 || next === 43 || next === 60 || next === 135 || next === 139 || next === 140) {
      if (p + 2 > out.end) return fail(out, NotDecoded.TruncatedIp, 0);
      const len = (d[p + 1]! + 1) * 8;
      next = d[p]!;
      p += len;
    } else if (next === 44) {
      if (p + 8 > out.end) return fail(out, NotDecoded.TruncatedIp, 0);
      out.fragment = true;
      const offset = u16(d, p + 2) & 0xfff8;
      next = d[p]!;
      p += 8;
      if (offset !== 0) return fail(out, NotDecoded.IpFragment, next);
    } else if (next === 51) {
      if (p + 2 > out.end) return fail(out, NotDecoded.TruncatedIp, 0);
      const len = (d[p + 1]! + 2) * 4;
      next = d[p]!;
      p += len;
    } else {
      return ipPayload(d, p, next, end, origLen, out);
    }
    if (p > end) return fail(out, NotDecoded.BadIpHeader, 0);
  }
  out.ipHeaderLen = p - o;
  return tcp(d, p, end - p, out);
}

/** Tunnels within tunnels stop here: no capture needs more, and a crafted one must not recurse forever. */
const MAX_ENCAP_DEPTH = 6;

function enter(out: DecodedPacket, kind: Encap): boolean {
  if (out.encapDepth === MAX_ENCAP_DEPTH) return fail(out, NotDecoded.TunnelDepth, kind);
  out.encap |= kind << (4 * out.encapDepth++);
  return true;
}

/** What an IP packet carries when it is not TCP: tunnels to open, or a reason it is not decoded. */
function ipPayload(d: Uint8Array, p: number, proto: number, end: number, origLen: number, out: DecodedPacket): boolean {
  if (end > out.end) end = out.end;
  switch (proto) {
    case IPPROTO_UDP: {
      if (p + 8 > end) return fail(out, NotDecoded.IpProtocol, proto);
      const sport = u16(d, p);
      const dport = u16(d, p + 2);
      const q = p + 8;
      if (dport === PORT_VXLAN || sport === PORT_VXLAN) {
        // RFC 7348: 8-byte header with the I flag, then an Ethernet frame.
        if (q + 8 > end || !(d[q]! & 0x08)) return fail(out, NotDecoded.IpProtocol, proto);
        return enter(out, Encap.Vxlan) && ethernet(d, q + 8, origLen, out);
      }
      if (dport === PORT_GENEVE || sport === PORT_GENEVE) {
        // RFC 8926: 8 bytes, options, then the protocol its type names.
        if (q + 8 > end || d[q]! >> 6 !== 0) return fail(out, NotDecoded.IpProtocol, proto);
        const inner = q + 8 + (d[q]! & 0x3f) * 4;
        const type = u16(d, q + 2);
        if (!enter(out, Encap.Geneve)) return false;
        return type === ETH_TEB ? ethernet(d, inner, origLen, out) : etherType(d, inner, type, origLen, out);
      }
      if (dport === PORT_GTPU || sport === PORT_GTPU) return gtpu(d, q, end, origLen, out);
      // Teredo clients use any port: like Zeek, recognise it by an IPv6 packet that exactly fills the datagram.
      return teredo(d, q, Math.min(end, p + u16(d, p + 4)), origLen, out);
    }
    case IPPROTO_GRE:
      return gre(d, p, end, origLen, out);
    case IPPROTO_IPIP:
      return enter(out, Encap.IpInIp) && ipv4(d, p, origLen, out);
    case IPPROTO_IPV6:
      return enter(out, Encap.IpInIp) && ipv6(d, p, origLen, out);
    default:
      return fail(out, NotDecoded.IpProtocol, proto);
  }
}

/** GRE (RFC 2784/2890, and the PPTP version 1), including ERSPAN types II and III. */
function gre(d: Uint8Array, p: number, end: number, origLen: number, out: DecodedPacket): boolean {
  if (p + 4 > end) return fail(out, NotDecoded.IpProtocol, IPPROTO_GRE);
  const fv = u16(d, p);
  const type = u16(d, p + 2);
  let q = p + 4;
  if (fv & 0x8000) q += 4;
  if (fv & 0x2000) q += 4;
  if (fv & 0x1000) q += 4;
  if ((fv & 7) === 1 && (fv & 0x0080)) q += 4;
  if (q > end || (fv & 7) > 1) return fail(out, NotDecoded.IpProtocol, IPPROTO_GRE);
  if (!enter(out, Encap.Gre)) return false;
  switch (type) {
    case ETH_TEB: return ethernet(d, q, origLen, out);
    case ETH_ERSPAN_2: return enter(out, Encap.Erspan) && ethernet(d, q + 8, origLen, out);
    case ETH_ERSPAN_3: return enter(out, Encap.Erspan) && ethernet(d, q + 12 + (q + 12 <= end && d[q + 11]! & 1 ? 8 : 0), origLen, out);
    case ETH_PPP: return ppp(d, u16(d, q) === 0xff03 ? q + 2 : q, origLen, out);
    default: return etherType(d, q, type, origLen, out);
  }
}

/** A PPP frame (in PPPoE or GRE): its protocol, as the link layers' PPP is read (decode/links.ts). */
function ppp(d: Uint8Array, p: number, origLen: number, out: DecodedPacket): boolean {
  if (p + 2 > out.end) return fail(out, NotDecoded.TruncatedLink, 0);
  const proto = u16(d, p);
  const type = pppToEthertype(proto);
  return type < 0 ? fail(out, NotDecoded.PppProtocol, proto) : etherType(d, p + 2, type, origLen, out);
}

/** GTP-U (3GPP TS 29.281): a G-PDU's header, its optional fields and extension headers, then IP. */
function gtpu(d: Uint8Array, q: number, end: number, origLen: number, out: DecodedPacket): boolean {
  if (q + 8 > end || d[q]! >> 5 !== 1 || d[q + 1] !== 0xff) return fail(out, NotDecoded.IpProtocol, IPPROTO_UDP);
  let r = q + 8;
  if (d[q]! & 0x07) {
    if (q + 12 > end) return fail(out, NotDecoded.IpProtocol, IPPROTO_UDP);
    let next = d[q + 11]!;
    r = q + 12;
    while (next !== 0) {
      const len = r < end ? d[r]! * 4 : 0;
      if (len === 0 || r + len > end) return fail(out, NotDecoded.IpProtocol, IPPROTO_UDP);
      next = d[r + len - 1]!;
      r += len;
    }
  }
  if (r >= end) return fail(out, NotDecoded.IpProtocol, IPPROTO_UDP);
  return enter(out, Encap.GtpU) && ipByVersion(d, r, origLen, out);
}

/** Teredo (RFC 4380): optional authentication and origin indicators, then an IPv6 packet filling the rest. */
function teredo(d: Uint8Array, q: number, end: number, origLen: number, out: DecodedPacket): boolean {
  let r = q;
  if (r + 4 <= end && u16(d, r) === 0x0001) r += 4 + d[r + 2]! + d[r + 3]! + 9;
  if (r + 2 <= end && u16(d, r) === 0x0000) r += 8;
  if (r + 40 > end || d[r]! >> 4 !== 6 || u16(d, r + 4) + 40 !== end - r) return fail(out, NotDecoded.IpProtocol, IPPROTO_UDP);
  return enter(out, Encap.Teredo) && ipv6(d, r, origLen, out);
}

function tcp(d: Uint8Array, o: number, segLen: number, out: DecodedPacket): boolean {
  if (o + 20 > out.end) return fail(out, NotDecoded.TruncatedTcp, 0);
  const hl = (d[o + 12]! >> 4) * 4;
  if (hl < 20 || hl > segLen) return fail(out, NotDecoded.BadTcpHeader, hl);
  if (o + hl > out.end) return fail(out, NotDecoded.TruncatedTcp, 0);
  out.tcpOffset = o;
  out.tcpHeaderLen = hl;
  out.sport = u16(d, o);
  out.dport = u16(d, o + 2);
  // Signed: see tcp/seq.ts.
  out.seq = i32(d, o + 4);
  out.ack = i32(d, o + 8);
  out.flags = d[o + 13]! | ((d[o + 12]! & 1) << 8);
  out.window = u16(d, o + 14);
  out.checksum = u16(d, o + 16);
  out.urgent = u16(d, o + 18);
  out.payloadLen = segLen - hl;
  // The state machine needs options only from SYNs (window scale); others are read on request.
  if (out.flags & TH_SYN) {
    decodeTcpOptions(d, out);
  } else {
    out.optionsDecoded = false;
    // A reset's MPTCP option says whether it aborted the MPTCP connection (MP_FASTCLOSE) or the subflow alone (MP_TCPRST).
    if ((out.flags & TH_RST) !== 0) scanMptcp(d, out);
  }
  return true;
}

/**
 * Reads the TCP timestamps of the segment last decoded into `p` (hasTimestamp, tsVal, tsEcr) and
 * says whether it has them: in place where nearly every stack puts them (NOP, NOP, TS first), else
 * by the whole walk of the options. For the segments that need them (tcp/timing.ts's round trips),
 * not every one: that would cost every packet some ten nanoseconds.
 */
export function segmentTimestamps(p: DecodedPacket): boolean {
  if (p.optionsDecoded) return p.hasTimestamp;
  const d = p.data;
  const o = p.tcpOffset;
  if (p.tcpHeaderLen < 32) {
    if (p.tcpHeaderLen > 20) decodeTcpOptions(d, p);
    else p.hasTimestamp = false;
    return p.hasTimestamp;
  }
  if (d[o + 20] !== 1 || d[o + 21] !== 1 || d[o + 22] !== 8 || d[o + 23] !== 10) {
    decodeTcpOptions(d, p);
    return p.hasTimestamp;
  }
  p.tsVal = u32(d, o + 24);
  p.tsEcr = u32(d, o + 28);
  p.hasTimestamp = true;
  return true;
}

/**
 * Reads the options of the TCP segment last decoded into `out` from `data` (the same array):
 * decodePacket does this itself only for SYN segments. RFC 9293 section 3.2 kinds.
 */
export function decodeTcpOptions(d: Uint8Array, out: DecodedPacket): void {
  out.optionsDecoded = true;
  out.mss = -1;
  out.wscale = -1;
  out.sackPermitted = false;
  out.sackBlocks = 0;
  out.hasTimestamp = false;
  out.badOptions = false;
  out.mptcpSubtype = -1;
  let p = out.tcpOffset + 20;
  const end = out.tcpOffset + out.tcpHeaderLen;
  while (p < end) {
    const kind = d[p]!;
    if (kind === 0) return;
    if (kind === 1) {
      p++;
      continue;
    }
    if (p + 2 > end) {
      out.badOptions = true;
      return;
    }
    const len = d[p + 1]!;
    if (len < 2 || p + len > end) {
      out.badOptions = true;
      return;
    }
    switch (kind) {
      case 2: if (len === 4) out.mss = u16(d, p + 2); break;
      case 3: if (len === 3) out.wscale = d[p + 2]!; break;
      case 4: out.sackPermitted = true; break;
      case 5:
        out.sackBlocks = (len - 2) >> 3;
        out.sackAt = p + 2;
        break;
      case 30: readMptcp(d, p, len, out); break;
      case 8:
        if (len === 10) {
          out.hasTimestamp = true;
          out.tsVal = u32(d, p + 2);
          out.tsEcr = u32(d, p + 6);
        }
        break;
    }
    p += len;
  }
}
