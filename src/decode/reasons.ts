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
}

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
    case NotDecoded.UnsupportedLinkType: return `linktype-${detail}`;
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
    default: return `reason-${reason}`;
  }
}
