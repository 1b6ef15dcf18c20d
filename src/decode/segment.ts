/** What decoding a packet gives: the TCP flag bits, and the one reused object that holds a decoded packet's fields. */

export const TH_FIN = 0x01;
export const TH_SYN = 0x02;
export const TH_RST = 0x04;
export const TH_PUSH = 0x08;
export const TH_ACK = 0x10;
export const TH_URG = 0x20;
export const TH_ECE = 0x40;
export const TH_CWR = 0x80;
/** RFC 3540 nonce sum, now the AccECN bit: the low bit of byte 12. */
export const TH_AE = 0x100;

/**
 * One decoded packet, allocated once and overwritten for every packet (gopacket's
 * DecodeFromBytes pattern). Addresses are four 32-bit words; IPv4 uses word 0.
 */
const EMPTY = new Uint8Array(0);

export class DecodedPacket {
  /** The array given to decodePacket (a reference, not a copy), for what is read from it on request (segmentTimestamps). */
  data: Uint8Array = EMPTY;
  /** Where the frame lies in the array given to decodePacket: [frameStart, end). Offsets below are into that array. */
  frameStart = 0;
  end = 0;
  /** The frame's length on the wire (its captured part may be shorter). */
  wireLen = 0;
  /** NotDecoded reason (0 when this is a TCP segment) and its detail. */
  reason = 0;
  reasonDetail = 0;
  vlanTags = 0;
  /** What a link header said follows it (decode/links.ts): an ethertype, NEXT_ETHERNET or NEXT_IP. */
  linkNext = 0;
  /** Tunnels the segment came through, outermost first, 4 bits each (Encap values); 0 for none. */
  encap = 0;
  encapDepth = 0;
  ipVersion = 0;
  ipOffset = 0;
  /** The first IP header's offset: a tunnel's outer header when `encap` is set, else ipOffset. */
  outerIpOffset = 0;
  ipHeaderLen = 0;
  /** IP total length for IPv4, 40 + payload length for IPv6 (0 when the header says 0). */
  ipTotalLen = 0;
  ipId = 0;
  ttl = 0;
  /** The packet is an IP fragment (any, including the first). */
  fragment = false;
  s0 = 0; s1 = 0; s2 = 0; s3 = 0;
  d0 = 0; d1 = 0; d2 = 0; d3 = 0;
  tcpOffset = 0;
  tcpHeaderLen = 0;
  sport = 0;
  dport = 0;
  seq = 0;
  ack = 0;
  flags = 0;
  window = 0;
  urgent = 0;
  checksum = 0;
  payloadLen = 0;
  /** The option fields below belong to this segment (always for a SYN, else after decodeTcpOptions). */
  optionsDecoded = false;
  /**
   * The MPTCP option of a SYN or RST (RFC 8684; decode/mptcp.ts): its subtype (MPTCP_SUB_*, -1 for
   * none), the MP_CAPABLE version, and the key it carries (MP_CAPABLE) or the token (MP_JOIN, in keyHi).
   */
  mptcpSubtype = -1;
  mptcpVersion = 0;
  mptcpKeyHi = 0;
  mptcpKeyLo = 0;
  /** Options; -1 where absent. */
  mss = -1;
  wscale = -1;
  sackPermitted = false;
  sackBlocks = 0;
  /** Where the first SACK block's left edge lies in `data` (sackBlocks pairs of 32-bit edges from there). */
  sackAt = 0;
  hasTimestamp = false;
  tsVal = 0;
  tsEcr = 0;
  /** An option's length ran past the header or was invalid. */
  badOptions = false;
}

/** Tunnels tcpstate opens to reach the TCP inside (Zeek tracks the same inner connections). */
export const enum Encap {
  FabricPath = 1,
  Pppoe,
  Gre,
  Teredo,
  GtpU,
  Vxlan,
  Geneve,
  IpInIp,
  Erspan,
}

export const ENCAP_NAMES = ['', 'fabricpath', 'pppoe', 'gre', 'teredo', 'gtp-u', 'vxlan', 'geneve', 'ip-in-ip', 'erspan'];
