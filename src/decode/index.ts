export { decodePacket, decodeTcpOptions, segmentTimestamps } from './packet.js';
export { DecodedPacket, Encap, ENCAP_NAMES, TH_ACK, TH_AE, TH_CWR, TH_ECE, TH_FIN, TH_PUSH, TH_RST, TH_SYN, TH_URG } from './segment.js';
export { NotDecoded, notDecodedName } from './reasons.js';
export { decodesLinkType, linkTypeName } from './linktypes.js';
export { type Address, type AddressRedactor, addrToString, endpointToString, ipv4ToString, ipv6ToString, portOut, setAddressRedactor } from './address.js';
