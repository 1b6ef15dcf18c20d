import { linkTypeLabel } from './linktypes.js';

/** Why a packet did not yield a TCP segment. The detail (an ethertype, a protocol number, ...) refines some. */
export const enum NotDecoded {
  None = 0,
  UnsupportedLinkType,
  TruncatedLink,
  Arp,
  OtherEthertype,
  Llc,
  IpProtocol,
  Ipv6NextHeader,
  IpFragment,
  TruncatedIp,
  BadIpHeader,
  TruncatedTcp,
  BadTcpHeader,
  LoopbackFamily,
  IpVersion,
  TunnelDepth,
  /** A PPP protocol other than IP, IPv6 and MPLS; the detail is the protocol. */
  PppProtocol,
  /** An 802.11 frame with no TCP to read; the detail is a WlanDetail. */
  Wlan,
  /** A link header that is not what its link type says (no Juniper magic, no NFLOG payload); the detail is the link type. */
  BadLinkHeader,
}

export const enum WlanDetail {
  /** Management and control frames. */
  NotData = 1,
  /** Null-function data frames. */
  NoPayload,
  /** Encrypted (WEP, TKIP, CCMP): the payload cannot be read. */
  Protected,
  NotSnap,
}

const WLAN_NAMES = ['', 'wlan-management-or-control', 'wlan-null-data', 'wlan-protected', 'wlan-not-llc-snap'];

const IP_PROTOCOLS: Record<number, string> = {
  1: 'icmp', 2: 'igmp', 4: 'ipip', 17: 'udp', 41: 'ipv6-in-ip', 47: 'gre', 50: 'esp', 51: 'ah', 58: 'icmpv6',
  59: 'ipv6-no-next-header', 89: 'ospf', 103: 'pim', 112: 'vrrp', 132: 'sctp',
};

const ETHERTYPES: Record<number, string> = {
  0x88cc: 'lldp', 0x8035: 'rarp', 0x8863: 'pppoe-discovery', 0x8864: 'pppoe', 0x8847: 'mpls', 0x8848: 'mpls',
  0x888e: 'eapol', 0x88e5: 'macsec', 0x8906: 'fcoe', 0x9000: 'loopback',
};

/** Stable text key for a not-decoded reason, as shown in reports and in JSON `summary.notDecoded`. */
export function notDecodedName(reason: number, detail: number): string {
  switch (reason as NotDecoded) {
    case NotDecoded.UnsupportedLinkType: return `linktype-${linkTypeLabel(detail)}`;
    case NotDecoded.TruncatedLink: return 'truncated-link-header';
    case NotDecoded.Arp: return 'arp';
    case NotDecoded.OtherEthertype: return ETHERTYPES[detail] ?? `ethertype-0x${detail.toString(16).padStart(4, '0')}`;
    case NotDecoded.Llc: return 'llc';
    case NotDecoded.IpProtocol:
    case NotDecoded.Ipv6NextHeader: return IP_PROTOCOLS[detail] ?? `ip-proto-${detail}`;
    case NotDecoded.IpFragment: return 'ip-fragment';
    case NotDecoded.TruncatedIp: return 'truncated-ip-header';
    case NotDecoded.BadIpHeader: return 'bad-ip-header';
    case NotDecoded.TruncatedTcp: return 'truncated-tcp-header';
    case NotDecoded.BadTcpHeader: return 'bad-tcp-header';
    case NotDecoded.LoopbackFamily: return `loopback-family-${detail}`;
    case NotDecoded.IpVersion: return `ip-version-${detail}`;
    case NotDecoded.TunnelDepth: return 'tunnels-too-deep';
    case NotDecoded.PppProtocol: return `ppp-proto-0x${detail.toString(16).padStart(4, '0')}`;
    case NotDecoded.Wlan: return WLAN_NAMES[detail] ?? 'wlan';
    case NotDecoded.BadLinkHeader: return `bad-link-header-${linkTypeLabel(detail)}`;
    default: return `reason-${reason}`;
  }
}
