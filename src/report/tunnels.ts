/**
 * What tcpdump -nn prints of the tunnels a segment came through, before the segment's own `IP`:
 * each outer IP header with what it carries (print-vxlan.c, print-geneve.c, print-gre.c, print-ip.c,
 * print-pppoe.c in tcpdump 4.99). Read again from the frame when a line is printed, never per packet.
 */
import { Encap, type DecodedPacket } from '../decode/index.js';
import { i32, u16, u32 } from '../decode/words.js';
import { ipv4ToString, ipv6ToString, portOut } from './format.js';

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_TEB = 0x6558;

/**
 * The outer headers' text, ending where the segment's `IP` begins; null for a tunnel tcpdump does
 * not open (GTP-U, Teredo, ERSPAN, FabricPath), whose segments it does not print as TCP. VXLAN's
 * header ends its own line, as tcpdump writes it, unless `oneLine` (a report's evidence line): then ": ".
 */
export function tunnelPrefix(d: Uint8Array, p: DecodedPacket, oneLine = false): string | null {
  const first = p.encap & 0xf;
  if (first === Encap.Pppoe) return p.encapDepth === 1 ? pppoe(d, p) : null;
  if (first === Encap.FabricPath) return null;
  let out = '';
  let o = p.outerIpOffset;
  // Each step reads one outer IP header and what it carries, up to the segment's own header.
  for (let step = 0; o !== p.ipOffset; step++) {
    if (step > 6 || o + 20 > p.end) return null;
    const v6 = d[o]! >> 4 === 6;
    let proto: number;
    let q: number;
    let src: string;
    let dst: string;
    let payload: number;
    if (v6) {
      if (o + 40 > p.end) return null;
      proto = d[o + 6]!;
      q = o + 40;
      payload = u16(d, o + 4);
      src = ipv6ToString(i32(d, o + 8), i32(d, o + 12), i32(d, o + 16), i32(d, o + 20));
      dst = ipv6ToString(i32(d, o + 24), i32(d, o + 28), i32(d, o + 32), i32(d, o + 36));
    } else {
      proto = d[o + 9]!;
      q = o + (d[o]! & 0xf) * 4;
      payload = u16(d, o + 2) - (q - o);
      src = ipv4ToString(i32(d, o + 12));
      dst = ipv4ToString(i32(d, o + 16));
    }
    const ip = v6 ? 'IP6' : 'IP';
    if (proto === 4 || proto === 41) {
      out += `${ip} ${src} > ${dst}: `;
      o = q;
      continue;
    }
    if (proto === 17) {
      if (q + 16 > p.end) return null;
      const sport = u16(d, q);
      const dport = u16(d, q + 2);
      const h = q + 8;
      if (sport === 4789 || dport === 4789) {
        if (d[h] !== 0x08) return null;
        out += `${ip} ${src}.${portOut(sport)} > ${dst}.${portOut(dport)}: VXLAN, flags [I] (0x08), vni ${u32(d, h + 4) >>> 8}${oneLine ? ': ' : '\n'}`;
        o = ethernetPayload(d, h + 8, p);
      } else if (sport === 6081 || dport === 6081) {
        if (d[h]! >> 6 !== 0) return null;
        const opts = (d[h]! & 0x3f) * 4;
        const flags = (d[h + 1]! & 0x80 ? 'O' : '') + (d[h + 1]! & 0x40 ? 'C' : '');
        const rsvd = d[h + 7]!;
        out += `${ip} ${src}.${portOut(sport)} > ${dst}.${portOut(dport)}: Geneve, Flags [${flags || 'none'}], vni 0x${(u32(d, h + 4) >>> 8).toString(16)}` +
          `${rsvd ? `, rsvd 0x${rsvd.toString(16)}` : ''}${opts ? `, options [${opts} bytes]` : ''}: `;
        const type = u16(d, h + 2);
        o = type === ETH_TEB ? ethernetPayload(d, h + 8 + opts, p) : type === ETH_IPV4 || type === ETH_IPV6 ? h + 8 + opts : -1;
      } else {
        return null;
      }
      if (o < 0) return null;
      continue;
    }
    if (proto === 47) {
      const flags = u16(d, q);
      // Version 0 without source routing; PPTP's version 1 and ERSPAN are not opened by tcpdump.
      if ((flags & 7) !== 0 || (flags & 0x4000) !== 0) return null;
      let r = q + 4;
      let parts = '';
      if (flags & 0x8000) {
        parts += `, off 0x${u16(d, r + 2).toString(16)}`;
        r += 4;
      }
      if (flags & 0x2000) {
        parts += `, key=0x${u32(d, r).toString(16)}`;
        r += 4;
      }
      if (flags & 0x1000) {
        parts += `, seq ${u32(d, r)}`;
        r += 4;
      }
      out += `${ip} ${src} > ${dst}: GREv0${parts}, length ${payload}: `;
      const type = u16(d, q + 2);
      o = type === ETH_TEB ? ethernetPayload(d, r, p) : type === ETH_IPV4 || type === ETH_IPV6 ? r : -1;
      if (o < 0) return null;
      continue;
    }
    return null;
  }
  return out;
}

/** An Ethernet frame's payload (past its VLAN tags) when it is IP, else -1; tcpdump prints no header of it without -e. */
function ethernetPayload(d: Uint8Array, o: number, p: DecodedPacket): number {
  let t = o + 12;
  if (t + 2 > p.end) return -1;
  let type = u16(d, t);
  while (type === 0x8100 || type === 0x88a8 || type === 0x9100) {
    t += 4;
    if (t + 2 > p.end) return -1;
    type = u16(d, t);
  }
  return type === ETH_IPV4 || type === ETH_IPV6 ? t + 2 : -1;
}

/** PPPoE's session header, as print-pppoe.c writes it (two spaces, then the session id). */
function pppoe(d: Uint8Array, p: DecodedPacket): string | null {
  let t = p.frameStart + 12;
  let type = u16(d, t);
  while (type === 0x8100 || type === 0x88a8 || type === 0x9100) {
    t += 4;
    type = u16(d, t);
  }
  if (type !== 0x8864) return null;
  return `PPPoE  [ses 0x${u16(d, t + 4).toString(16)}] `;
}
