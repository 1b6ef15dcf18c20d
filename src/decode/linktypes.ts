/** LINKTYPE_* values (tcpdump.org link-layer header types) that tcpstate decodes. */
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;
export const LINKTYPE_PPP = 9;
/** PPP in HDLC-like framing (RFC 1662), or Cisco HDLC: tcpdump's PPP_SERIAL. */
export const LINKTYPE_PPP_HDLC = 50;
export const LINKTYPE_C_HDLC = 104;
export const LINKTYPE_IEEE802_11 = 105;
export const LINKTYPE_IEEE802_11_RADIOTAP = 127;
export const LINKTYPE_ARCNET_LINUX = 129;
export const LINKTYPE_JUNIPER_ETHER = 178;
export const LINKTYPE_NFLOG = 239;
export const LINKTYPE_IPOIB = 242;
/** Apple's packet tap: a header naming the link type of what follows. */
export const LINKTYPE_PKTAP = 258;
/** DLT_RAW as written by some BSDs (12) and OpenBSD (14) instead of LINKTYPE_RAW. */
export const DLT_RAW_BSD = 12;
export const DLT_RAW_OPENBSD = 14;

const NAMES: Record<number, string> = {
  [LINKTYPE_NULL]: 'NULL',
  [LINKTYPE_ETHERNET]: 'EN10MB',
  [LINKTYPE_RAW]: 'RAW',
  [DLT_RAW_BSD]: 'RAW',
  [DLT_RAW_OPENBSD]: 'RAW',
  [LINKTYPE_LOOP]: 'LOOP',
  [LINKTYPE_LINUX_SLL]: 'LINUX_SLL',
  [LINKTYPE_IPV4]: 'IPV4',
  [LINKTYPE_IPV6]: 'IPV6',
  [LINKTYPE_LINUX_SLL2]: 'LINUX_SLL2',
  [LINKTYPE_PPP]: 'PPP',
  [LINKTYPE_PPP_HDLC]: 'PPP_SERIAL',
  [LINKTYPE_C_HDLC]: 'C_HDLC',
  [LINKTYPE_IEEE802_11]: 'IEEE802_11',
  [LINKTYPE_IEEE802_11_RADIOTAP]: 'IEEE802_11_RADIO',
  [LINKTYPE_ARCNET_LINUX]: 'ARCNET_LINUX',
  [LINKTYPE_JUNIPER_ETHER]: 'JUNIPER_ETHER',
  [LINKTYPE_NFLOG]: 'NFLOG',
  [LINKTYPE_IPOIB]: 'IPOIB',
  [LINKTYPE_PKTAP]: 'PKTAP',
  // Not decoded, named as libpcap names them so that a report says what the capture is.
  6: 'IEEE802', 7: 'ARCNET', 8: 'SLIP', 10: 'FDDI', 11: 'ATM_RFC1483', 51: 'PPP_ETHER', 107: 'FRELAY', 114: 'LTALK',
  117: 'PFLOG', 119: 'PRISM_HEADER', 122: 'IP_OVER_FC', 123: 'SUNATM', 138: 'APPLE_IP_OVER_IEEE1394', 139: 'MTP2_WITH_PHDR',
  143: 'DOCSIS', 163: 'IEEE802_11_RADIO_AVS', 165: 'BACNET_MS_TP', 166: 'PPP_PPPD', 177: 'LINUX_LAPD', 187: 'BLUETOOTH_HCI_H4',
  189: 'USB_LINUX', 192: 'PPI', 195: 'IEEE802_15_4', 201: 'BLUETOOTH_HCI_H4_WITH_PHDR', 215: 'IEEE802_15_4_NONASK_PHY',
  220: 'USB_LINUX_MMAPPED', 227: 'CAN_SOCKETCAN', 230: 'IEEE802_15_4_NOFCS', 240: 'NETANALYZER', 247: 'MPEG_2_TS',
  249: 'NG40', 251: 'INFINIBAND', 253: 'NETLINK', 254: 'BLUETOOTH_LINUX_MONITOR', 263: 'PROFIBUS_DL', 266: 'NETANALYZER_TRANSPARENT',
  271: 'EBHSCR', 274: 'VPP_DISPATCH', 279: 'LINUX_SLL2_PLACEHOLDER',
};

/** The libpcap DLT name (as `tcpdump -L` prints it), or `LINKTYPE_<n>` for ones we do not know. */
export function linkTypeName(linkType: number): string {
  return NAMES[linkType] ?? `LINKTYPE_${linkType}`;
}

/** The link types decodePacket() reads; a capture of any other is counted, packet by packet, as not decoded. */
const DECODED = new Set([
  LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LOOP, LINKTYPE_LINUX_SLL, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL2,
  DLT_RAW_BSD, DLT_RAW_OPENBSD, LINKTYPE_PPP, LINKTYPE_PPP_HDLC, LINKTYPE_C_HDLC, LINKTYPE_IEEE802_11, LINKTYPE_IEEE802_11_RADIOTAP,
  LINKTYPE_ARCNET_LINUX, LINKTYPE_JUNIPER_ETHER, LINKTYPE_NFLOG, LINKTYPE_IPOIB, LINKTYPE_PKTAP,
]);

export function decodesLinkType(linkType: number): boolean {
  return DECODED.has(linkType);
}

/** The link type as a not-decoded reason names it: libpcap's name (`PPP`), else its number. */
export function linkTypeLabel(linkType: number): string {
  return NAMES[linkType] ?? String(linkType);
}
