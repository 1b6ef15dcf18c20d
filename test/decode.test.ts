import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, renderJson, renderText, STATE_NAMES } from '../src/index.js';
import { DecodedPacket, decodePacket, decodeTcpOptions, ENCAP_NAMES, NotDecoded, segmentTimestamps, TH_ACK, TH_SYN } from '../src/decode/index.js';
import { ipv4ToString, ipv6ToString } from '../src/report/index.js';
import { casesIn } from './golden/cases.js';
import { conns, frame, memoryInput, pcapHeader, pcapRecord, type Seg } from './helpers/build.js';

const ROOT = join(import.meta.dirname, '..');
const golden = JSON.parse(readFileSync(join(ROOT, 'test', 'golden', 'tshark.json'), 'utf8')) as {
  files: Record<string, { tcpFrames: number }>;
};

describe('TCP segments found agree with tshark', () => {
  for (const file of casesIn('tshark-frames')) {
    const want = golden.files[file]!;
    it(file, async () => {
      const r = await analyze([join(ROOT, file)], { keep: 'notable' });
      expect(r.damage).toBeNull();
      expect(r.summary.tcpPackets).toBe(want.tcpFrames);
      // Nothing is dropped silently: every packet is TCP or counted under a reason.
      const other = Object.values(r.summary.notDecoded).reduce((a, b) => a + b, 0);
      expect(r.summary.tcpPackets + other).toBe(r.summary.packets);
    });
  }
});

describe('link layers on real captures', () => {
  it('802.1Q and QinQ tagged mirror-port frames', async () => {
    const raw = readFileSync(join(ROOT, 'captures', 'qinq.pcap'));
    // The mirrored frames carry an outer 802.1ad tag (0x88a8) and an inner 802.1Q tag (0x8100).
    let stacked = 0;
    for (let o = 24; o < raw.length; o += 16 + raw.readUInt32LE(o + 8)) {
      if (raw.readUInt16BE(o + 16 + 12) === 0x88a8 && raw.readUInt16BE(o + 16 + 16) === 0x8100) stacked++;
    }
    expect(stacked).toBeGreaterThanOrEqual(11);
    for (const f of ['vlan.pcap', 'qinq.pcap']) {
      const r = await analyze([join(ROOT, 'captures', f)]);
      expect(r.summary.connections).toBe(1);
      expect(conns(r)[0]!.client.packets + conns(r)[0]!.server.packets).toBe(11);
    }
  });

  it('Linux cooked v1 and v2 (-i any)', async () => {
    for (const [f, lt] of [['any-sll.pcap', 'LINUX_SLL'], ['any-sll2.pcap', 'LINUX_SLL2']] as const) {
      const r = await analyze([join(ROOT, 'captures', f)]);
      expect(r.inputs[0]!.linkTypes).toEqual([lt]);
      expect(r.summary.connections).toBe(1);
    }
  });

  it('BSD loopback (NULL) with IPv6, from the Zeek corpus', async () => {
    const r = await analyze([join(ROOT, 'captures', 'zeek', 'connect-with-header.pcap')]);
    expect(r.inputs[0]!.linkTypes).toEqual(['NULL']);
    expect(conns(r)[0]!.family).toBe(6);
  });

  it('names what it did not decode', async () => {
    const r = await analyze([join(ROOT, 'captures', 'zeek', 'wikipedia.pcap')]);
    expect(r.summary.notDecoded).toEqual({ udp: 48, arp: 6, llc: 4 });
  });
});

/** A TCP segment behind any link layer: the IPv4 packet of `frame`, wrapped. */
function ipv4Packet(seg: Seg): Buffer {
  return frame(seg).subarray(14);
}

function ipv6Packet(ext: Buffer = Buffer.alloc(0), firstNext = 6): Buffer {
  const tcp = ipv4Packet({ t: 0, from: 'c', flags: 'S', seq: 7 }).subarray(20);
  const b = Buffer.alloc(40);
  b[0] = 0x60;
  b.writeUInt16BE(ext.length + tcp.length, 4);
  b[6] = firstNext;
  b[7] = 64;
  b.set([0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 8);
  b.set([0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], 24);
  return Buffer.concat([b, ext, tcp]);
}

function decode(data: Buffer, linkType: number, p = new DecodedPacket()): DecodedPacket {
  decodePacket(data, 0, data.length, data.length, linkType, p);
  return p;
}

describe('decoding built packets', () => {
  const syn: Seg = { t: 0, from: 'c', flags: 'S', seq: 7 };

  it('raw IP link types: RAW (101), IPV4 (228), IPV6 (229), and BSD DLT_RAW (12)', () => {
    for (const lt of [101, 228, 12]) expect(decode(ipv4Packet(syn), lt).reason).toBe(0);
    expect(decode(ipv6Packet(), 229).reason).toBe(0);
    expect(decode(ipv6Packet(), 101).ipVersion).toBe(6);
  });

  it('LOOP stores the family in network order, NULL in the writer\'s', () => {
    const fam = (v: number, be: boolean) => { const b = Buffer.alloc(4); if (be) b.writeUInt32BE(v); else b.writeUInt32LE(v); return b; };
    expect(decode(Buffer.concat([fam(30, true), ipv6Packet()]), 108).ipVersion).toBe(6);
    expect(decode(Buffer.concat([fam(2, false), ipv4Packet(syn)]), 0).ipVersion).toBe(4);
    expect(decode(Buffer.concat([fam(2, true), ipv4Packet(syn)]), 0).ipVersion).toBe(4);
    const odd = decode(Buffer.concat([fam(99, true), ipv4Packet(syn)]), 108);
    expect([odd.reason, odd.reasonDetail]).toEqual([NotDecoded.LoopbackFamily, 99]);
  });

  it('IPv4 options are skipped by the header length', () => {
    const p = ipv4Packet(syn);
    const withOpts = Buffer.concat([p.subarray(0, 20), Buffer.from([1, 1, 1, 0]), p.subarray(20)]);
    withOpts[0] = 0x46;
    withOpts.writeUInt16BE(p.length + 4, 2);
    const d = decode(withOpts, 228);
    expect([d.reason, d.ipHeaderLen, d.sport, d.seq]).toEqual([0, 24, 40000, 7]);
  });

  it('IPv6 hop-by-hop, routing and destination options headers are walked', () => {
    const hop = Buffer.from([43, 0, 1, 4, 0, 0, 0, 0]);
    const routing = Buffer.from([60, 0, 0, 0, 0, 0, 0, 0]);
    const dest = Buffer.from([6, 0, 1, 4, 0, 0, 0, 0]);
    const d = decode(ipv6Packet(Buffer.concat([hop, routing, dest]), 0), 229);
    expect([d.reason, d.ipHeaderLen, d.seq, d.flags & TH_SYN]).toEqual([0, 64, 7, TH_SYN]);
    expect(ipv6ToString(d.s0, d.s1, d.s2, d.s3)).toBe('fd77::1');
  });

  it('IPv6 fragments: the first is decoded, the others counted', () => {
    const first = decode(ipv6Packet(Buffer.from([6, 0, 0, 1, 0, 0, 0, 9]), 44), 229);
    expect([first.reason, first.fragment]).toEqual([0, true]);
    const later = decode(ipv6Packet(Buffer.from([6, 0, 0, 0x10, 0, 0, 0, 9]), 44), 229);
    expect([later.reason, later.fragment]).toEqual([NotDecoded.IpFragment, true]);
  });

  it('IPv4 fragments are counted in the summary', async () => {
    const a = ipv4Packet(syn);
    const mf = Buffer.from(a); mf.writeUInt16BE(0x2000, 6);
    const tail = Buffer.from(a); tail.writeUInt16BE(0x0003, 6);
    const file = Buffer.concat([pcapHeader({ linkType: 228 }), pcapRecord(mf, 1, 0), pcapRecord(tail, 1, 1)]);
    const r = await analyze([memoryInput('frag.pcap', file)]);
    expect(r.summary.ipFragments).toBe(2);
    expect(r.summary.tcpPackets).toBe(1);
    expect(r.summary.notDecoded).toEqual({ 'ip-fragment': 1 });
  });

  it('TCP options: MSS, SACK permitted, timestamps, window scale, SACK blocks', () => {
    const opts = [2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6, 1, 3, 3, 7, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2];
    const d = decode(ipv4Packet({ ...syn, flags: 'S.', ack: 1, options: opts }), 228);
    expect(d.flags).toBe(TH_SYN | TH_ACK);
    expect([d.mss, d.sackPermitted, d.hasTimestamp, d.tsVal, d.tsEcr, d.wscale, d.sackBlocks, d.badOptions])
      .toEqual([1460, true, true, 5, 6, 7, 1, false]);
  });

  it('timestamps of other segments are read on request: in place (NOP, NOP, TS), else by the whole walk', () => {
    const opts = [1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 8];
    const d = decode(ipv4Packet({ t: 0, from: 'c', flags: '.', seq: 7, ack: 1, options: opts }), 228);
    expect(d.optionsDecoded).toBe(false);
    expect([segmentTimestamps(d), d.tsVal, d.tsEcr, d.optionsDecoded]).toEqual([true, 9, 8, false]);
    // SACK first, then TS: found by the walk of every option.
    const sackFirst = [1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1, 8, 10, 0, 0, 0, 7, 0, 0, 0, 6];
    decode(ipv4Packet({ t: 0, from: 'c', flags: '.', seq: 7, ack: 1, options: sackFirst }), 228, d);
    expect([segmentTimestamps(d), d.tsVal, d.tsEcr, d.optionsDecoded]).toEqual([true, 7, 6, true]);
    // None: not the last segment's.
    decode(ipv4Packet({ t: 0, from: 'c', flags: '.', seq: 7, ack: 1 }), 228, d);
    expect(segmentTimestamps(d)).toBe(false);
  });

  it('options of other segments are read on request', () => {
    const opts = [1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 8];
    const d = decode(ipv4Packet({ t: 0, from: 'c', flags: '.', seq: 7, ack: 1, options: opts }), 228);
    expect([d.optionsDecoded]).toEqual([false]);
    const data = ipv4Packet({ t: 0, from: 'c', flags: '.', seq: 7, ack: 1, options: opts });
    decodePacket(data, 0, data.length, data.length, 228, d);
    decodeTcpOptions(data, d);
    expect([d.optionsDecoded, d.hasTimestamp, d.tsVal, d.tsEcr]).toEqual([true, true, 9, 8]);
  });

  it('an option running past the header is flagged, not fatal', () => {
    const d = decode(ipv4Packet({ ...syn, options: [2, 40, 0, 0] }), 228);
    expect([d.reason, d.badOptions]).toEqual([0, true]);
  });

  it('decodes a frame in the middle of a larger array, reading nothing outside it', () => {
    const f = ipv4Packet(syn);
    const big = Buffer.concat([Buffer.alloc(37, 0xee), f, Buffer.alloc(50, 0xee)]);
    const p = new DecodedPacket();
    expect(decodePacket(big, 37, f.length, f.length, 228, p)).toBe(true);
    expect([p.sport, p.dport, p.seq]).toEqual([40000, 80, 7]);
    // Cut one byte short of the TCP header: the bytes after it must not be read as its end.
    expect(decodePacket(big, 37, 39, f.length, 228, p)).toBe(false);
    expect(p.reason).toBe(NotDecoded.TruncatedTcp);
  });

  it('truncated and bad headers are reasons, never exceptions', () => {
    const p = ipv4Packet(syn);
    expect(decode(p.subarray(0, 30), 228).reason).toBe(NotDecoded.TruncatedTcp);
    expect(decode(p.subarray(0, 12), 228).reason).toBe(NotDecoded.TruncatedIp);
    const badOff = Buffer.from(p); badOff[32] = 0x20;
    expect(decode(badOff, 228).reason).toBe(NotDecoded.BadTcpHeader);
    expect(decode(Buffer.from([0x08]), 1).reason).toBe(NotDecoded.TruncatedLink);
    expect(decode(p, 147).reason).toBe(NotDecoded.UnsupportedLinkType);
  });
});

describe('tunnels', () => {
  const inner = () => ipv4Packet({ t: 0, from: 'c', flags: 'S', seq: 42 });
  const ethHeader = (type: number) => { const b = Buffer.alloc(14); b.set([2, 0, 0, 0, 0, 9, 2, 0, 0, 0, 0, 8]); b.writeUInt16BE(type, 12); return b; };
  const innerFrame = () => Buffer.concat([ethHeader(0x0800), inner()]);
  /** An outer IPv4 packet (10.9.9.1 > 10.9.9.2) of protocol `proto` around `payload`. */
  const outerIp = (proto: number, payload: Buffer) => {
    const ip = Buffer.alloc(20);
    ip[0] = 0x45; ip.writeUInt16BE(20 + payload.length, 2); ip[8] = 64; ip[9] = proto;
    ip.set([10, 9, 9, 1], 12); ip.set([10, 9, 9, 2], 16);
    return Buffer.concat([ip, payload]);
  };
  const udp = (dport: number, payload: Buffer, sport = 50000) => {
    const h = Buffer.alloc(8);
    h.writeUInt16BE(sport, 0); h.writeUInt16BE(dport, 2); h.writeUInt16BE(8 + payload.length, 4);
    return outerIp(17, Buffer.concat([h, payload]));
  };
  const names = (d: DecodedPacket) => { const out: string[] = []; for (let e = d.encap; e; e >>>= 4) out.push(ENCAP_NAMES[e & 15]!); return out; };
  const cases: [string, Buffer, number, string[]][] = [
    ['VXLAN', udp(4789, Buffer.concat([Buffer.from([8, 0, 0, 0, 0, 0, 100, 0]), innerFrame()])), 228, ['vxlan']],
    ['GENEVE with an option', udp(6081, Buffer.concat([Buffer.from([1, 0, 0x65, 0x58, 0, 0, 7, 0, 1, 2, 3, 0]), innerFrame()])), 228, ['geneve']],
    ['GENEVE carrying IP', udp(6081, Buffer.concat([Buffer.from([0, 0, 0x08, 0x00, 0, 0, 7, 0]), inner()])), 228, ['geneve']],
    ['GRE with key and sequence', outerIp(47, Buffer.concat([Buffer.from([0x30, 0, 0x08, 0, 0, 0, 0, 1, 0, 0, 0, 2]), inner()])), 228, ['gre']],
    ['ERSPAN type II', outerIp(47, Buffer.concat([Buffer.from([0x10, 0, 0x88, 0xbe, 0, 0, 0, 1]), Buffer.alloc(8), innerFrame()])), 228, ['gre', 'erspan']],
    ['IPv4 in IPv4', outerIp(4, inner()), 228, ['ip-in-ip']],
    ['GTP-U with an extension header', udp(2152, Buffer.concat([Buffer.from([0x34, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x85, 1, 9, 9, 0]), inner()])), 228, ['gtp-u']],
    ['PPPoE session', Buffer.concat([ethHeader(0x8864), Buffer.from([0x11, 0, 0, 1, 0, 40, 0, 0x21]), inner()]), 1, ['pppoe']],
    ['Cisco FabricPath', Buffer.concat([ethHeader(0x8903), Buffer.from([0, 0]), innerFrame()]), 1, ['fabricpath']],
  ];
  for (const [name, packet, linkType, encap] of cases) {
    it(`${name}: the TCP inside is decoded and the tunnel recorded`, () => {
      const d = decode(packet, linkType);
      expect([d.reason, d.sport, d.seq, ipv4ToString(d.s0), names(d)]).toEqual([0, 40000, 42, '10.0.0.1', encap]);
    });
  }

  it('Teredo on any port: an IPv6 packet that fills the datagram, after an origin indication', () => {
    const v6 = ipv6Packet();
    const d = decode(udp(32900, Buffer.concat([Buffer.from([0, 0, 0x12, 0x34, 1, 2, 3, 4]), v6]), 3797), 228);
    expect([d.reason, d.ipVersion, names(d)]).toEqual([0, 6, ['teredo']]);
    // The same bytes one short of filling the datagram are ordinary UDP.
    const plain = decode(udp(32900, Buffer.concat([Buffer.from([0, 0, 0x12, 0x34, 1, 2, 3, 4]), v6, Buffer.from([0])]), 3797), 228);
    expect([plain.reason, plain.reasonDetail]).toEqual([NotDecoded.IpProtocol, 17]);
  });

  it('tunnels nested too deep are refused, not followed', () => {
    let p = inner();
    for (let i = 0; i < 10; i++) p = outerIp(4, p);
    const d = decode(p, 228);
    expect(d.reason).toBe(NotDecoded.TunnelDepth);
  });

  it('records the tunnel of a connection in the JSON', async () => {
    const r = await analyze([join(ROOT, 'captures', 'zeek', 'Teredo.pcap')]);
    const tunneled = conns(r).filter((c) => c.encap !== 0);
    expect(tunneled).toHaveLength(1);
    const json = JSON.parse([...renderJson(r)].join(''));
    expect(json.connections.filter((c: { encapsulation?: string[] }) => c.encapsulation).map((c: { encapsulation: string[]; client: { addr: string } }) => [c.encapsulation, c.client.addr]))
      .toEqual([[['teredo'], '2001:0:4137:9e50:8000:f12a:b9c8:2815']]);
  });
});

describe('link types tcpdump reads (test/fixtures/make-link-types.mjs)', () => {
  // Each capture: a connection over IPv4 and one over IPv6 (three where a second framing of the link type carries one more),
  // and frames with no TCP, counted under their reason.
  const CASES: [string, string, number, Record<string, number>][] = [
    ['ppp', 'PPP', 3, { 'ppp-proto-0xc021': 1 }],
    ['ppp-serial', 'PPP_SERIAL', 3, {}],
    ['c-hdlc', 'C_HDLC', 2, {}],
    ['juniper-ether', 'JUNIPER_ETHER', 3, { 'bad-link-header-JUNIPER_ETHER': 1 }],
    ['ipoib', 'IPOIB', 2, {}],
    ['arcnet-linux', 'ARCNET_LINUX', 3, {}],
    ['ieee802-11', 'IEEE802_11', 2, { 'wlan-management-or-control': 1, 'wlan-protected': 1, 'wlan-null-data': 1 }],
    ['radiotap', 'IEEE802_11_RADIO', 4, { 'wlan-management-or-control': 1, 'wlan-protected': 1 }],
    ['nflog', 'NFLOG', 2, { 'bad-link-header-NFLOG': 1 }],
    ['pktap', 'PKTAP', 2, {}],
  ];
  it.each(CASES)('link-%s.pcap (%s): its TCP connections, followed to their end', async (name, linkType, connections, notDecoded) => {
    const r = await analyze([join(ROOT, 'test', 'fixtures', `link-${name}.pcap`)]);
    expect(r.damage).toBeNull();
    expect(r.inputs[0]!.linkTypes).toEqual([linkType]);
    expect(r.inputs[0]!.linkTypesNotDecoded).toEqual([]);
    expect(r.summary.connections).toBe(connections);
    expect(r.summary.notDecoded).toEqual(notDecoded);
    // The whole connections (the first two) closed on both sides: client TIME_WAIT, server CLOSED.
    const all = conns(r);
    for (const c of all.slice(0, 2)) expect([STATE_NAMES[c.client.state], STATE_NAMES[c.server.state]]).toEqual(['TIME_WAIT', 'CLOSED']);
    expect(all.map((c) => c.family).slice(0, 2).sort()).toEqual([4, 6]);
  });

  it('names a link type it does not decode as tcpdump does, on the first line and in one sentence', async () => {
    // Token ring (IEEE802, 6): counted, never guessed at.
    const bytes = Buffer.concat([pcapHeader({ linkType: 6 }), pcapRecord(Buffer.alloc(60), 1, 0, { linkType: 6 })]);
    const r = await analyze([memoryInput('tr.pcap', bytes)]);
    expect(r.summary.notDecoded).toEqual({ 'linktype-IEEE802': 1 });
    expect(r.inputs[0]!.linkTypesNotDecoded).toEqual(['IEEE802']);
    const text = [...renderText(r)].join('');
    expect(text).toContain('link type IEEE802 (not decoded), 1 packets');
    expect(text).toContain('No TCP       tcpstate does not decode link type IEEE802 (the only packet).');
  });
});

describe('tunnels (test/fixtures/make-tunnels.mjs)', () => {
  it('follows a connection through each, keyed by its own four-tuple, with the tunnels it came through', async () => {
    const r = await analyze([join(ROOT, 'test', 'fixtures', 'tunnels.pcap')]);
    expect(r.summary.notDecoded).toEqual({});
    const all = conns(r);
    expect(all.map((c) => (c.encap === 0 ? [] : encapNames(c.encap)).join('/'))).toEqual([
      'vxlan', 'vxlan', 'geneve', 'geneve', 'gre', 'gre', 'gre', 'gre', 'ip-in-ip', 'ip-in-ip', 'ip-in-ip', 'pppoe', 'gre/erspan']);
    for (const c of all) expect([STATE_NAMES[c.client.state], STATE_NAMES[c.server.state]]).toEqual(['TIME_WAIT', 'CLOSED']);
  });
});

function encapNames(encap: number): string[] {
  const out: string[] = [];
  for (let e = encap; e !== 0; e >>>= 4) out.push(ENCAP_NAMES[e & 0xf]!);
  return out;
}

describe('IPv6 extension headers and jumbograms (test/fixtures/make-ipv6-ext.mjs)', () => {
  it('follows the connection through them, a BIG TCP segment with its length from the frame', async () => {
    const r = await analyze([join(ROOT, 'test', 'fixtures', 'ipv6-ext.pcap')]);
    expect(r.summary.tcpPackets).toBe(8);
    const [c] = conns(r);
    expect(c!.client.payloadBytes).toBe(12);
    expect(c!.server.payloadBytes).toBe(70000);
    expect([STATE_NAMES[c!.client.state], STATE_NAMES[c!.server.state]]).toEqual(['TIME_WAIT', 'CLOSED']);
  });
});
