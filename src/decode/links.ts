/**
 * Link-layer headers other than Ethernet and Linux cooked capture: where each one's payload
 * starts and what it is. linkLayer() sets `out.linkNext` to an ethertype, or to NEXT_ETHERNET
 * (an Ethernet frame follows) or NEXT_IP (IPv4 or IPv6, told by the version nibble); packet.ts
 * goes on from there. Formats as tcpdump 4.99's print-ppp.c, print-chdlc.c, print-juniper.c,
 * print-ipoib.c, print-arcnet.c, print-802_11.c and print-nflog.c read them.
 */
import {
  LINKTYPE_ARCNET_LINUX, LINKTYPE_C_HDLC, LINKTYPE_IEEE802_11, LINKTYPE_IEEE802_11_RADIOTAP, LINKTYPE_IPOIB,
  LINKTYPE_JUNIPER_ETHER, LINKTYPE_LOOP, LINKTYPE_NFLOG, LINKTYPE_NULL, LINKTYPE_PPP, LINKTYPE_PPP_HDLC,
} from './linktypes.js';
import { NotDecoded, WlanDetail } from './reasons.js';
import type { DecodedPacket } from './segment.js';
import { le16, le32, u16, u32 } from './words.js';

/** linkNext: an Ethernet frame follows the link header (Juniper). */
export const NEXT_ETHERNET = 0x10000;
/** linkNext: an IP packet follows, its version nibble says which. */
export const NEXT_IP = 0x10001;

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;

/** PPP protocol numbers (RFC 1661 and the IANA registry) as the ethertypes of the same payloads; -1 for others. */
export function pppToEthertype(proto: number): number {
  switch (proto) {
    case 0x0021: return ETH_IPV4;
    case 0x0057: return ETH_IPV6;
    case 0x0281: return 0x8847;
    case 0x0283: return 0x8848;
    default: return -1;
  }
}

function fail(out: DecodedPacket, reason: NotDecoded, detail: number): -1 {
  out.reason = reason;
  out.reasonDetail = detail;
  return -1;
}

/**
 * The link header of `linkType` at `start` (the frame ends at out.end): the offset of what follows
 * it, with out.linkNext saying what that is; -1 with out.reason set when it is none we decode.
 */
export function linkLayer(d: Uint8Array, start: number, linkType: number, out: DecodedPacket): number {
  const end = out.end;
  switch (linkType) {
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      if (start + 4 > end) return fail(out, NotDecoded.TruncatedLink, 0);
      // NULL stores the family in the capturing host's byte order, LOOP in network order.
      let family = linkType === LINKTYPE_LOOP ? u32(d, start) : le32(d, start);
      if (family > 0xffff) family = u32(d, start);
      // AF_INET6 is 10 on Linux, 24 on NetBSD/OpenBSD, 28 on FreeBSD, 30 on macOS.
      if (family === 2) out.linkNext = ETH_IPV4;
      else if (family === 10 || family === 24 || family === 28 || family === 30) out.linkNext = ETH_IPV6;
      else return fail(out, NotDecoded.LoopbackFamily, family);
      return start + 4;
    }
    case LINKTYPE_PPP: {
      // RFC 1662's address and control bytes may be there or not; a protocol with its low bit set is one byte (RFC 1661 PFC).
      let o = start;
      if (o + 2 <= end && d[o] === 0xff && d[o + 1] === 0x03) o += 2;
      if (o + 1 > end) return fail(out, NotDecoded.TruncatedLink, 0);
      let proto = d[o]!;
      if ((proto & 1) === 0) {
        if (o + 2 > end) return fail(out, NotDecoded.TruncatedLink, 0);
        proto = u16(d, o);
        o += 2;
      } else {
        o += 1;
      }
      return ppp(proto, o, out);
    }
    case LINKTYPE_PPP_HDLC:
    case LINKTYPE_C_HDLC: {
      if (start + 4 > end) return fail(out, NotDecoded.TruncatedLink, 0);
      // Cisco HDLC (address 0x0f unicast, 0x8f broadcast) carries an ethertype; PPP in HDLC framing a PPP protocol.
      const a = d[start]!;
      if (linkType === LINKTYPE_C_HDLC || a === 0x0f || a === 0x8f) {
        out.linkNext = u16(d, start + 2);
        return start + 4;
      }
      return ppp(u16(d, start + 2), start + 4, out);
    }
    case LINKTYPE_JUNIPER_ETHER: {
      // "MGC", flags, then (flag 0x80) a TLV extension of the given length; without an L2 header (flag 0x02), a 4-byte cookie and IP.
      if (start + 4 > end) return fail(out, NotDecoded.TruncatedLink, 0);
      if (d[start] !== 0x4d || d[start + 1] !== 0x47 || d[start + 2] !== 0x43) return fail(out, NotDecoded.BadLinkHeader, linkType);
      const flags = d[start + 3]!;
      let o = start + 4;
      if (flags & 0x80) {
        if (o + 2 > end) return fail(out, NotDecoded.TruncatedLink, 0);
        o += 2 + u16(d, o);
      }
      if (flags & 0x02) {
        out.linkNext = NEXT_IP;
        o += 4;
      } else {
        out.linkNext = NEXT_ETHERNET;
      }
      return o > end ? fail(out, NotDecoded.TruncatedLink, 0) : o;
    }
    case LINKTYPE_IPOIB:
      // A 40-byte pseudo-header of hardware addresses, then RFC 4391's type and reserved word.
      if (start + 44 > end) return fail(out, NotDecoded.TruncatedLink, 0);
      out.linkNext = u16(d, start + 40);
      return start + 44;
    case LINKTYPE_ARCNET_LINUX: {
      // Source, destination, offset, type; the RFC 1201 types then have a split flag and sequence number.
      if (start + 5 > end) return fail(out, NotDecoded.TruncatedLink, 0);
      const type = d[start + 4]!;
      const old = type === 0xf0 || type === 0xf1 || type === 0x80;
      const o = start + (old ? 5 : 8);
      if (o > end) return fail(out, NotDecoded.TruncatedLink, 0);
      if (type === 0xd4 || type === 0xf0) out.linkNext = ETH_IPV4;
      else if (type === 0xc4) out.linkNext = ETH_IPV6;
      else return fail(out, NotDecoded.OtherEthertype, type);
      return o;
    }
    case LINKTYPE_IEEE802_11_RADIOTAP: {
      if (start + 8 > end) return fail(out, NotDecoded.TruncatedLink, 0);
      const hdrEnd = start + le16(d, start + 2);
      // The presence bitmaps (bit 31: another follows) must end inside the header: tcpdump reads no frame past them otherwise.
      let fields = start + 8;
      while (fields <= hdrEnd && fields <= end && (d[fields - 1]! & 0x80) !== 0) fields += 4;
      if (fields > hdrEnd) return fail(out, NotDecoded.BadLinkHeader, linkType);
      if (fields > end) return fail(out, NotDecoded.TruncatedLink, 0);
      return wlan(d, hdrEnd, out, radiotapDataPad(d, start, fields, end));
    }
    case LINKTYPE_IEEE802_11:
      return wlan(d, start, out, false);
    case LINKTYPE_NFLOG: {
      // Family, version, resource id, then TLVs (length and type in the capturing host's order, little-endian here) padded to 4 bytes.
      if (start + 4 > end) return fail(out, NotDecoded.TruncatedLink, 0);
      const family = d[start]!;
      for (let o = start + 4; o + 4 <= end;) {
        const len = le16(d, o);
        if (len < 4) break;
        if (le16(d, o + 2) === 9) {
          out.linkNext = family === 10 ? ETH_IPV6 : family === 2 ? ETH_IPV4 : NEXT_IP;
          return o + 4;
        }
        o += (len + 3) & ~3;
      }
      return fail(out, NotDecoded.BadLinkHeader, linkType);
    }
    default:
      return fail(out, NotDecoded.UnsupportedLinkType, linkType);
  }
}

function ppp(proto: number, o: number, out: DecodedPacket): number {
  const type = pppToEthertype(proto);
  if (type < 0) return fail(out, NotDecoded.PppProtocol, proto);
  out.linkNext = type;
  return o;
}

/**
 * Whether the radiotap header at `start`, its fields from `fields` on, has the Flags field with
 * DATAPAD: the 802.11 header is padded to 4 bytes.
 */
function radiotapDataPad(d: Uint8Array, start: number, fields: number, end: number): boolean {
  const present = d[start + 4]!;
  if ((present & 0x02) === 0) return false;
  let o = fields;
  // TSFT, when present, is 8 bytes aligned to 8 from the header's start, and Flags follows it.
  if (present & 0x01) o = start + Math.ceil((o - start) / 8) * 8 + 8;
  return o < end && (d[o]! & 0x20) !== 0;
}

/** An 802.11 frame at `o`: a data frame's payload after its header and LLC/SNAP, with the ethertype SNAP names. */
function wlan(d: Uint8Array, o: number, out: DecodedPacket, dataPad: boolean): number {
  if (o + 24 > out.end) return fail(out, NotDecoded.TruncatedLink, 0);
  const fc0 = d[o]!;
  const fc1 = d[o + 1]!;
  if (((fc0 >> 2) & 3) !== 2) return fail(out, NotDecoded.Wlan, WlanDetail.NotData);
  // Null-function subtypes (4, and 12 with QoS) carry no payload.
  if ((fc0 & 0x40) !== 0) return fail(out, NotDecoded.Wlan, WlanDetail.NoPayload);
  if (fc1 & 0x40) return fail(out, NotDecoded.Wlan, WlanDetail.Protected);
  let h = 24;
  // A fourth address between access points (to and from the distribution system).
  if ((fc1 & 3) === 3) h += 6;
  if (fc0 & 0x80) {
    h += 2;
    // HT control with QoS data and the order bit.
    if (fc1 & 0x80) h += 4;
  }
  const p = o + (dataPad ? (h + 3) & ~3 : h);
  if (p + 8 > out.end) return fail(out, NotDecoded.TruncatedLink, 0);
  if (d[p] !== 0xaa || d[p + 1] !== 0xaa || d[p + 2] !== 0x03) return fail(out, NotDecoded.Wlan, WlanDetail.NotSnap);
  out.linkNext = u16(d, p + 6);
  return p + 8;
}
