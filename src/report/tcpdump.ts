import { type DecodedPacket, NotDecoded, TH_ACK, TH_FIN, TH_RST, TH_SYN, TH_URG } from '../decode/index.js';
import { LINKTYPE_ETHERNET, LINKTYPE_IEEE802_11_RADIOTAP, LINKTYPE_LINUX_SLL2, LINKTYPE_PPP_HDLC } from '../decode/linktypes.js';
import { u16, u32 } from '../decode/words.js';
import { radiotapText } from './radiotap.js';
import { ipv4ToString, ipv6ToString, portOut } from './format.js';
import { mptcpOption } from './mptcp.js';
import { tunnelPrefix } from './tunnels.js';

/**
 * Renders a TCP packet as `TZ=UTC tcpdump -nn -r` (tcpdump 4.99) prints it, up to and including
 * its `length N`: the evidence format of tcpstate's reports. Keeps, like tcpdump, each
 * conversation's initial sequence numbers so that later ones print relative (unless `absolute`).
 */
export class TcpdumpFormatter {
  /** tcpdump's tcp_seq_hash: per conversation (in its collating order), the base seq and ack. */
  private readonly bases = new Map<string, { seq: number; ack: number }>();

  /** Printing one packet with the bases given (null: the packet that sets them, printed absolute). */
  private explicit = false;
  private senderBase: number | null = null;
  private receiverBase = 0;

  constructor(private readonly absolute = false) {}

  /**
   * The line for a packet decodePacket accepted as TCP, or one it refused as a truncated/bad TCP
   * header; null for one tcpdump shows as no TCP (inside a tunnel it does not open).
   */
  line(d: Uint8Array, p: DecodedPacket, sec: number, nsec: number, linkType: number): string | null {
    this.explicit = false;
    if (p.encap !== 0 && tunnelPrefix(d, p) === null) return null;
    return this.render(d, p, sec, nsec, linkType);
  }

  /**
   * The line of a packet printed out of its context (report evidence): relative sequence numbers
   * from the bases tcpdump would hold for its conversation at that point (sender's, receiver's).
   */
  lineWithBases(d: Uint8Array, p: DecodedPacket, sec: number, nsec: number, linkType: number, senderBase: number | null, receiverBase: number): string | null {
    this.explicit = true;
    this.senderBase = senderBase;
    this.receiverBase = receiverBase;
    return this.render(d, p, sec, nsec, linkType);
  }

  private render(d: Uint8Array, p: DecodedPacket, sec: number, nsec: number, linkType: number): string | null {
    const tcp = p.reason === NotDecoded.None;
    if (!tcp && p.reason !== NotDecoded.TruncatedTcp && p.reason !== NotDecoded.BadTcpHeader) return null;
    // A zero IPv4 total length (a segment captured before TSO split it): tcpstate reads it, tcpdump refuses it.
    // The tunnels it came through as tcpdump shows them; one it does not open, not at all (a report's evidence line then shows the segment alone).
    const prefix = linkPrefix(d, p, linkType) + (p.encap !== 0 ? tunnelPrefix(d, p, this.explicit) ?? '' : '');
    if (p.ipVersion === 4 && u16(d, p.ipOffset + 2) < p.ipHeaderLen) {
      return `${timeOfDay(sec, nsec)} ${prefix}IP bad-len ${u16(d, p.ipOffset + 2)}`;
    }
    return `${timeOfDay(sec, nsec)} ${prefix}${p.ipVersion === 6 ? 'IP6' : 'IP'} ${this.tcpPart(d, p, tcp)}`;
  }

  private tcpPart(d: Uint8Array, p: DecodedPacket, decoded: boolean): string {
    const src = addr(p, true);
    const dst = addr(p, false);
    const o = decoded ? p.tcpOffset : p.ipOffset + p.ipHeaderLen;
    // From here on print-tcp.c's order: ports, header checks, flags, seq/ack, window, options, length.
    if (o + 4 > p.end) return `${src} > ${dst}: [|tcp]`;
    const sport = u16(d, o);
    const dport = u16(d, o + 2);
    // IPv6 extension headers before TCP: tcpdump names each after the addresses, then the ports alone.
    const ext = p.ipVersion === 6 && o > p.ipOffset + 40 ? extensionNames(d, p.ipOffset, o) : null;
    const sp = portOut(sport);
    const dp = portOut(dport);
    const head = ext === null ? `${src}.${sp} > ${dst}.${dp}: ` : `${src} > ${dst}: ${ext}${sp} > ${dp}: `;
    const hlen = o + 13 <= p.end ? (d[o + 12]! >> 4) * 4 : 20;
    const length = p.ipTotalLen - p.ipHeaderLen;
    if (hlen < 20) return `${head} tcp ${length - hlen} [bad hdr length ${hlen} - too short, < 20]`;
    if (o + 20 > p.end) return `${head} [|tcp]`;
    const f = d[o + 13]!;
    let seq = u32(d, o + 4);
    let ack = u32(d, o + 8);
    let rev = false;
    let baseSeq = 0;
    let baseAck = 0;
    if (this.explicit) {
      if (!this.absolute && (f & TH_ACK) && this.senderBase !== null) {
        rev = sport > dport || (sport === dport && compareAddr(p) > 0);
        baseSeq = rev ? this.receiverBase >>> 0 : this.senderBase >>> 0;
        baseAck = rev ? this.senderBase >>> 0 : this.receiverBase >>> 0;
        seq = (seq - this.senderBase) >>> 0;
        ack = (ack - this.receiverBase) >>> 0;
      }
    } else if (!this.absolute && (f & TH_ACK)) {
      // print-tcp.c: one entry per conversation, keyed with the lower port (then address) first.
      rev = sport > dport || (sport === dport && compareAddr(p) > 0);
      const key = rev ? `${dst}|${src}|${dport}|${sport}` : `${src}|${dst}|${sport}|${dport}`;
      let base = this.bases.get(key);
      if (base === undefined || (f & TH_SYN)) {
        base = rev ? { seq: (ack - 1) >>> 0, ack: seq } : { seq, ack: (ack - 1) >>> 0 };
        this.bases.set(key, base);
      } else if (rev) {
        seq = (seq - base.ack) >>> 0;
        ack = (ack - base.seq) >>> 0;
      } else {
        seq = (seq - base.seq) >>> 0;
        ack = (ack - base.ack) >>> 0;
      }
      baseSeq = base.seq;
      baseAck = base.ack;
    }
    let s = `${head}Flags [${flagString(f)}]`;
    if (hlen > length) return `${s} [bad hdr length ${hlen} - too long, > ${length}]`;
    const payload = length - hlen;
    if (payload > 0 || (f & (TH_SYN | TH_FIN | TH_RST))) {
      s += `, seq ${seq}`;
      if (payload > 0) s += `:${(seq + payload) >>> 0}`;
    }
    if (f & TH_ACK) s += `, ack ${ack}`;
    s += `, win ${u16(d, o + 14)}`;
    if (f & TH_URG) s += `, urg ${u16(d, o + 18)}`;
    if (hlen > 20) {
      const opts = options(d, o + 20, o + hlen, p.end, rev ? baseSeq : baseAck, f);
      s += `, options [${opts.text}`;
      if (opts.end !== '') return s + opts.end;
      s += ']';
    }
    return `${s}, length ${payload}`;
  }
}

const FLAG_LETTERS: [number, string][] = [[0x01, 'F'], [0x02, 'S'], [0x04, 'R'], [0x08, 'P'], [0x10, '.'], [0x20, 'U'], [0x40, 'E'], [0x80, 'W']];

/** tcpdump's flag notation: [S], [S.], [F.], [R], [P.] ...; `none` when no flag is set. */
export function flagString(flags: number): string {
  let s = '';
  for (const [bit, letter] of FLAG_LETTERS) if (flags & bit) s += letter;
  return s || 'none';
}

const OPTION_NAMES: Record<number, string> = {
  0: 'eol', 1: 'nop', 2: 'mss', 3: 'wscale', 4: 'sackOK', 5: 'sack', 6: 'echo', 7: 'echoreply', 8: 'TS', 11: 'cc',
  12: 'ccnew', 13: '', 19: 'md5', 20: 'scps', 28: 'uto', 29: 'tcp-ao', 30: 'mptcp', 34: 'tfo', 254: 'exp',
};

interface Options {
  text: string;
  /** How the line ends when the options stopped it: tcpdump's `[bad opt]` or truncation marks; '' when it goes on. */
  end: string;
}

/**
 * The option list as print-tcp.c (tcpdump 4.99) writes it, without the brackets; `relBase`
 * makes SACK edges relative like the seq/ack. `captured` is where the captured bytes end; `flags`
 * the segment's (MPTCP's subtypes are read by them).
 */
function options(d: Uint8Array, p: number, hdrEnd: number, captured: number, relBase: number, flags: number): Options {
  let text = '';
  let sep = '';
  let hlen = hdrEnd - p;
  // What a truncation mark names: once an MPTCP option has been printed, tcpdump's printer is still
  // set to "mptcp" for the rest of the options (print-mptcp.c sets it and nothing sets it back).
  let trunc = ' [|tcp]';
  while (hlen > 0) {
    text += sep;
    // Reading the kind or the length past the capture is tcpdump's plain truncation.
    if (p >= captured) return { text, end: trunc };
    const opt = d[p++]!;
    let len = 1;
    if (opt !== 0 && opt !== 1) {
      if (p >= captured) return { text, end: trunc };
      len = d[p++]!;
      if (len < 2 || len > hlen) return { text, end: `[bad opt]${sep ? ']' : ''}` };
      hlen--;
    }
    hlen--;
    text += OPTION_NAMES[opt] ?? `unknown-${opt}`;
    // LENCHECK: the data must lie within the header (else [bad opt]) and within the capture (else truncated).
    const check = (n: number): string => (n > hlen ? `[bad opt]${sep ? ']' : ''}` : p + n > captured ? `${trunc}${sep ? '>' : ''}` : '');
    let datalen = 0;
    let stop = '';
    switch (opt) {
      case 0: case 1: case 4: break;
      case 2: datalen = 2; stop = check(2); if (!stop) text += ` ${u16(d, p)}`; break;
      case 3: datalen = 1; stop = check(1); if (!stop) text += ` ${d[p]}`; break;
      case 5:
        datalen = len - 2;
        if (datalen % 8 !== 0) {
          text += ' malformed sack';
        } else {
          text += ` ${datalen / 8} `;
          for (let i = 0; i < datalen && !stop; i += 8) {
            stop = check(i + 8);
            if (!stop) text += `{${(u32(d, p + i) - relBase) >>> 0}:${(u32(d, p + i + 4) - relBase) >>> 0}}`;
          }
        }
        break;
      case 6: case 7: case 11: case 12: case 13:
        datalen = 4; stop = check(4); if (!stop) text += ` ${u32(d, p)}`; break;
      case 8: datalen = 8; stop = check(8); if (!stop) text += ` val ${u32(d, p)} ecr ${u32(d, p + 4)}`; break;
      case 19:
        datalen = 16;
        stop = check(16);
        // Debian's tcpdump is built with OpenSSL, and without -M it says so.
        if (!stop) text += ` shared secret not supplied with -M, can't check - ${hexBytes(d, p, 16)}`;
        break;
      case 28: {
        datalen = 2;
        stop = check(2);
        if (!stop) {
          const v = u16(d, p);
          text += ` 0x${v.toString(16)} ${v & 1 ? (v >> 1) * 60 : v >> 1}`;
        }
        break;
      }
      case 30: {
        datalen = len - 2;
        stop = check(datalen);
        if (stop) break;
        const m = mptcpOption(d, p - 2, len, flags);
        trunc = ' [|mptcp]';
        text += m.text;
        if (m.bad) stop = `[bad opt]${sep ? ']' : ''}`;
        break;
      }
      case 34:
        datalen = len - 2;
        stop = check(datalen);
        if (!stop) text += ` ${fastOpen(d, p, datalen)}`;
        break;
      case 254:
        datalen = len - 2;
        stop = check(datalen);
        if (!stop && datalen >= 2) {
          const magic = u16(d, p);
          text += magic === 0xf989 ? `-tfo${fastOpen(d, p + 2, datalen - 2)}` : `-${magic.toString(16).padStart(4, '0')}`;
        }
        break;
      default:
        datalen = len - 2;
        if (datalen) text += ' 0x';
        for (let i = 0; i < datalen && !stop; i++) {
          stop = check(i + 1);
          if (!stop) text += hex2(d[p + i]!);
        }
        break;
    }
    if (stop) return { text, end: stop };
    p += datalen;
    hlen -= datalen;
    const expected = 1 + (opt === 0 || opt === 1 ? 0 : 1) + datalen;
    if (expected !== len) text += `[len ${len}]`;
    sep = ',';
    if (opt === 0) break;
  }
  return { text, end: '' };
}

/** TCP Fast Open (RFC 7413) as tcpdump words it: a cookie request, a cookie, or invalid. */
function fastOpen(d: Uint8Array, p: number, datalen: number): string {
  if (datalen === 0) return ' cookiereq';
  if (datalen % 2 !== 0 || datalen < 4 || datalen > 16) return ' (invalid)';
  return ` cookie ${hexBytes(d, p, datalen)}`;
}

function hexBytes(d: Uint8Array, p: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += hex2(d[p + i]!);
  return s;
}

/** What tcpdump prints before `IP` without -e: the cooked v2 interface and direction, MPLS labels, PPP-in-HDLC's protocol. */
function linkPrefix(d: Uint8Array, p: DecodedPacket, linkType: number): string {
  const s = p.frameStart;
  // PPP in HDLC framing names its protocol first (Cisco HDLC, the other framing of this link type, does not).
  if (linkType === LINKTYPE_PPP_HDLC) return d[s] === 0xff ? (p.ipVersion === 6 ? 'IP6: ' : 'IP: ') : '';
  if (linkType === LINKTYPE_IEEE802_11_RADIOTAP) return radiotapText(d, s, p.end);
  if (linkType === LINKTYPE_LINUX_SLL2) {
    const ifindex = u32(d, s + 4);
    // The capture does not name its interfaces; loopback is index 1 on every Linux host.
    const name = ifindex === 1 ? 'lo' : '?';
    const dir = SLL_PACKET_TYPES[d[s + 10]!] ?? '?';
    return `${name.padEnd(5)} ${dir.padEnd(3)} `;
  }
  if (linkType === LINKTYPE_ETHERNET) {
    let o = s + 12;
    let type = u16(d, o);
    while (type === 0x8100 || type === 0x88a8 || type === 0x9100) {
      o += 4;
      type = u16(d, o);
    }
    if (type !== 0x8847 && type !== 0x8848) return '';
    let out = 'MPLS';
    for (o += 2; o + 4 <= p.outerIpOffset; o += 4) {
      const e = u32(d, o);
      out += ` (label ${e >>> 12}, tc ${(e >>> 9) & 7}${e & 0x100 ? ', [S]' : ''}, ttl ${e & 0xff})`;
    }
    return `${out} `;
  }
  return '';
}

const SLL_PACKET_TYPES = ['In', 'B', 'M', 'P', 'Out'];

/** `HBH DSTOPT `: the IPv6 extension headers from `ip` to the TCP header at `tcp`, as print-ip6.c names them; null for others. */
function extensionNames(d: Uint8Array, ip: number, tcp: number): string | null {
  let out = '';
  let next = d[ip + 6]!;
  for (let o = ip + 40; o < tcp;) {
    if (next === 0) out += 'HBH ';
    else if (next === 60) out += 'DSTOPT ';
    else return null;
    next = d[o]!;
    o += (d[o + 1]! + 1) * 8;
  }
  return out;
}

function timeOfDay(sec: number, nsec: number): string {
  const t = ((sec % 86400) + 86400) % 86400;
  const two = (n: number) => String(n).padStart(2, '0');
  // libpcap hands tcpdump microseconds, cutting nanoseconds off.
  return `${two(Math.floor(t / 3600))}:${two(Math.floor((t % 3600) / 60))}:${two(t % 60)}.${String(Math.floor(nsec / 1000)).padStart(6, '0')}`;
}

function addr(p: DecodedPacket, source: boolean): string {
  if (p.ipVersion === 4) return ipv4ToString(source ? p.s0 : p.d0);
  return source ? ipv6ToString(p.s0, p.s1, p.s2, p.s3) : ipv6ToString(p.d0, p.d1, p.d2, p.d3);
}

/** memcmp(src, dst) as tcpdump uses it to order the two directions of a conversation with equal ports. */
function compareAddr(p: DecodedPacket): number {
  const a = [p.s0, p.s1, p.s2, p.s3];
  const b = [p.d0, p.d1, p.d2, p.d3];
  for (let i = 0; i < (p.ipVersion === 4 ? 1 : 4); i++) {
    if (a[i] !== b[i]) return (a[i]! >>> 0) < (b[i]! >>> 0) ? -1 : 1;
  }
  return 0;
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, '0');
}
