import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { analyze, CaptureError, STATE_NAMES, type Report } from '../src/index.js';
import { buildPcap, conns, frame, memoryInput, type Seg } from './helpers/build.js';

const CAP = join(import.meta.dirname, '..', 'captures');

/** What must not change between two readings of the same traffic. */
function essence(r: Report) {
  return conns(r).map((c) => ({
    id: c.id, client: c.client.port, server: c.server.port,
    states: [STATE_NAMES[c.client.state], STATE_NAMES[c.server.state]],
    packets: [c.client.packets, c.server.packets], bytes: [c.client.payloadBytes, c.server.payloadBytes],
    first: c.firstPacket, last: c.lastPacket, start: [c.startSec, c.startNsec],
  }));
}

/** The same classic pcap in the other byte order, field by field. */
function swapPcap(le: Buffer): Buffer {
  const out = Buffer.from(le);
  out.writeUInt32BE(le.readUInt32LE(0), 0);
  out.writeUInt16BE(le.readUInt16LE(4), 4);
  out.writeUInt16BE(le.readUInt16LE(6), 6);
  for (const o of [8, 12, 16, 20]) out.writeUInt32BE(le.readUInt32LE(o), o);
  let p = 24;
  while (p < le.length) {
    const caplen = le.readUInt32LE(p + 8);
    for (let k = 0; k < 16; k += 4) out.writeUInt32BE(le.readUInt32LE(p + k), p + k);
    p += 16 + caplen;
  }
  return out;
}

async function fails(r: Promise<Report>): Promise<CaptureError> {
  const report = await r;
  expect(report.damage).toBeInstanceOf(CaptureError);
  return report.damage!;
}

describe('classic pcap through pcap-parser', () => {
  it('reads both byte orders identically', async () => {
    const le = readFileSync(join(CAP, 'client-closes-first.pcap'));
    const a = await analyze([memoryInput('le.pcap', le)]);
    const b = await analyze([memoryInput('be.pcap', swapPcap(le))]);
    expect(a.summary.packets).toBe(b.summary.packets);
    expect(essence(b)).toEqual(essence(a));
    expect(a.summary.tcpPackets).toBe(10);
  });

  it('reads nanosecond files (magic a1b23c4d) with nanosecond timestamps, either byte order', async () => {
    const raw = readFileSync(join(CAP, 'nanosecond.pcap'));
    expect(raw.readUInt32LE(0)).toBe(0xa1b23c4d);
    const r = await analyze([join(CAP, 'nanosecond.pcap')]);
    expect(r.precision).toBe('ns');
    expect(r.inputs[0]!.precision).toBe('ns');
    expect(r.summary.firstTs).toEqual({ sec: raw.readUInt32LE(24), nsec: raw.readUInt32LE(28) });
    const be = await analyze([memoryInput('be.pcap', swapPcap(raw))]);
    expect(essence(be)).toEqual(essence(r));
  });

  it('counts payload from the IP length when the snap length cut the packet (-s 96)', async () => {
    const raw = readFileSync(join(CAP, 'time-wait-pileup.pcap'));
    expect(raw.readUInt32LE(16)).toBe(96);
    const cs = conns(await analyze([join(CAP, 'time-wait-pileup.pcap')]));
    expect(cs).toHaveLength(8);
    for (const c of cs) {
      expect(c.client.payloadBytes).toBe('GET /x HTTP/1.0\r\n\r\n'.length);
      expect(c.server.payloadBytes).toBe('HTTP/1.0 200 OK\r\nConnection: close\r\n\r\n'.length + 1200);
    }
  });

  it('reads a file in chunks of any size', async () => {
    const raw = readFileSync(join(CAP, 'server-never-closes.pcap'));
    const whole = await analyze([memoryInput('w', raw)]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < raw.length; i += 7) chunks.push(raw.subarray(i, i + 7));
    const bits = await analyze([memoryInput('c', ...chunks)]);
    expect(essence(bits)).toEqual(essence(whole));
  });
});

describe('pcapng', () => {
  it('reads a dumpcap file', async () => {
    const r = await analyze([join(CAP, 'pcapng.pcapng')]);
    expect(r.inputs[0]!.format).toBe('pcapng');
    expect(r.inputs[0]!.linkTypes).toEqual(['EN10MB']);
    expect(r.summary.tcpPackets).toBe(10);
  });

  it('reads two interfaces (veth and loopback) of one dumpcap file', async () => {
    const r = await analyze([join(CAP, 'two-interfaces.pcapng')]);
    expect(r.summary.connections).toBe(2);
    expect(conns(r).map((c) => c.server.port).sort()).toEqual([8080, 9090]);
  });

  /** Byte by byte: a big-endian section with ns resolution and a simple packet block, an unknown
   * block, then a little-endian section with 2^-10 resolution whose packets use interface 1. */
  function pcapngBytes(): Buffer {
    const block = (le: boolean, type: number, body: Buffer) => {
      const len = 12 + body.length + ((4 - (body.length % 4)) % 4);
      const b = Buffer.alloc(len);
      const w = (v: number, o: number) => (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
      w(type, 0); w(len, 4); body.copy(b, 8); w(len, len - 4);
      return b;
    };
    const u32 = (le: boolean, ...v: number[]) => {
      const b = Buffer.alloc(v.length * 4);
      v.forEach((x, i) => (le ? b.writeUInt32LE(x >>> 0, i * 4) : b.writeUInt32BE(x >>> 0, i * 4)));
      return b;
    };
    const shb = (le: boolean) => {
      const b = Buffer.alloc(16);
      if (le) b.writeUInt32LE(0x1a2b3c4d, 0); else b.writeUInt32BE(0x1a2b3c4d, 0);
      if (le) { b.writeUInt16LE(1, 4); b.writeInt32LE(-1, 8); b.writeInt32LE(-1, 12); } else { b.writeUInt16BE(1, 4); b.writeInt32BE(-1, 8); b.writeInt32BE(-1, 12); }
      return block(le, 0x0a0d0d0a, b);
    };
    const idb = (le: boolean, tsresol: number) => {
      const b = Buffer.alloc(8 + 8 + 4);
      if (le) { b.writeUInt16LE(1, 0); b.writeUInt32LE(0, 4); b.writeUInt16LE(9, 8); b.writeUInt16LE(1, 10); }
      else { b.writeUInt16BE(1, 0); b.writeUInt32BE(0, 4); b.writeUInt16BE(9, 8); b.writeUInt16BE(1, 10); }
      b[12] = tsresol;
      return block(le, 1, b);
    };
    const epb = (le: boolean, ifc: number, units: bigint, data: Buffer) =>
      block(le, 6, Buffer.concat([u32(le, ifc, Number(units >> 32n), Number(units & 0xffffffffn), data.length, data.length), data]));
    const syn: Seg = { t: 0, from: 'c', flags: 'S', seq: 100 };
    const synAck: Seg = { t: 0, from: 's', flags: 'S.', seq: 900, ack: 101 };
    const ack: Seg = { t: 0, from: 'c', flags: '.', seq: 101, ack: 901 };
    const f1 = frame(syn);
    return Buffer.concat([
      shb(false), idb(false, 9),
      epb(false, 0, 1_700_000_000_123_456_789n, f1),
      block(false, 0x0bad, Buffer.from('unknown block, skipped')),
      block(false, 3, Buffer.concat([u32(false, frame(synAck).length), frame(synAck)])),
      shb(true), idb(true, 0x80 | 10), idb(true, 6),
      epb(true, 1, 1_700_000_001_500_000n, frame(ack)),
      block(true, 5, u32(true, 0, 0, 0)),
    ]);
  }

  it('reads sections in both byte orders, if_tsresol, simple packet blocks, unknown blocks', async () => {
    const r = await analyze([memoryInput('built.pcapng', pcapngBytes())], { transitions: true });
    expect(r.damage).toBeNull();
    expect(r.summary.packets).toBe(3);
    expect(r.precision).toBe('ns');
    expect(r.summary.firstTs).toEqual({ sec: 1_700_000_000, nsec: 123_456_789 });
    expect(r.summary.lastTs).toEqual({ sec: 1_700_000_001, nsec: 500_000_000 });
    const [c] = conns(r);
    expect([STATE_NAMES[c!.client.state], STATE_NAMES[c!.server.state]]).toEqual(['ESTABLISHED', 'ESTABLISHED']);
  });

  it('stops with a positioned error on a block whose trailer disagrees', async () => {
    const b = pcapngBytes();
    b.writeUInt32BE(0x99, 28 + 32 - 4); // the trailing length of the first IDB (28-byte SHB, 32-byte IDB)
    const e = await fails(analyze([memoryInput('bad.pcapng', b)]));
    expect(e.code).toBe('bad-block');
    expect(e.offset).toBe(28);
  });
});

describe('gzip, standard input and several files', () => {
  it('detects gzip by its magic bytes, not the name', async () => {
    const plain = await analyze([join(CAP, 'server-never-closes.pcap')]);
    const gz = await analyze([join(CAP, 'server-never-closes.pcap.gz')]);
    expect(gz.inputs[0]!.compressed).toBe(true);
    expect(essence(gz)).toEqual(essence(plain));
    const renamed = await analyze([memoryInput('no-extension', gzipSync(readFileSync(join(CAP, 'refused.pcap'))))]);
    expect(renamed.inputs[0]!.compressed).toBe(true);
    expect(renamed.summary.connections).toBe(1);
  });

  it('merges rotated files in timestamp order whatever order they are named in', async () => {
    const whole = await analyze([join(CAP, 'time-wait-pileup.pcap')]);
    const parts = [3, 1, 0, 2].map((i) => join(CAP, 'rotated', `time-wait-pileup.pcap${i}`));
    const merged = await analyze(parts);
    expect(merged.inputs).toHaveLength(4);
    expect(merged.summary.packets).toBe(whole.summary.packets);
    expect(essence(merged)).toEqual(essence(whole));
  });

  it('merges captures of different precision into one timeline', async () => {
    const r = await analyze([join(CAP, 'nanosecond.pcap'), join(CAP, 'refused.pcap')]);
    expect(r.precision).toBe('ns');
    expect(r.summary.connections).toBe(4);
    const starts = conns(r).map((c) => c.startSec + c.startNsec * 1e-9);
    expect([...starts].sort((a, b) => a - b)).toEqual(starts);
  });
});

describe('malformed input stops with file, packet number and byte offset', () => {
  const good = buildPcap([{ t: 0, from: 'c', flags: 'S', seq: 1 }, { t: 1, from: 'c', flags: 'S', seq: 1 }]);

  it('a file cut inside a record', async () => {
    const e = await fails(analyze([memoryInput('cut.pcap', good.subarray(0, good.length - 10))]));
    expect(e.code).toBe('truncated');
    expect(e.packet).toBe(2);
    expect(e.offset).toBe(24 + 16 + 54);
    expect(e.message).toBe('cut.pcap: packet 2, byte offset 94: pcap: file is truncated: record of 54 bytes is cut off after 44 bytes');
  });

  it('a file cut inside the file header', async () => {
    const e = await fails(analyze([memoryInput('short.pcap', good.subarray(0, 10))]));
    expect(e.code).toBe('truncated');
  });

  it('a wrong magic number', async () => {
    const b = Buffer.from(good);
    b.writeUInt32BE(0xdeadbeef, 0);
    const e = await fails(analyze([memoryInput('magic.pcap', b)]));
    expect(e.message).toBe('magic.pcap: packet 0, byte offset 0: not a pcap, pcapng or gzip file (magic 0xdeadbeef)');
  });

  it('a record longer than the snap length, before any of it is buffered', async () => {
    const b = Buffer.from(good);
    b.writeUInt32LE(64, 16); // snap length 64
    b.writeUInt32LE(200_000_000, 24 + 16 + 54 + 8); // second record claims 200 MB
    const e = await fails(analyze([memoryInput('long.pcap', b)]));
    expect(e.code).toBe('record-too-long');
    expect(e.packet).toBe(2);
    expect(e.offset).toBe(94);
    expect(e.message).toContain('record length 200000000 exceeds the snap length 64');
  });

  it('random bytes', async () => {
    let x = 12345;
    const b = Buffer.alloc(4096);
    for (let i = 0; i < b.length; i++) b[i] = (x = (x * 1103515245 + 12345) & 0x7fffffff) >> 16;
    const e = await fails(analyze([memoryInput('random.bin', b)]));
    expect(e.code).toBe('bad-magic');
  });

  it('an empty file', async () => {
    const e = await fails(analyze([memoryInput('empty.pcap')]));
    expect(e.code).toBe('empty');
  });

  it('a truncated gzip stream', async () => {
    const gz = gzipSync(good);
    const e = await fails(analyze([memoryInput('cut.pcap.gz', gz.subarray(0, gz.length - 12))]));
    expect(e.code).toBe('gzip');
  });

  it('keeps what was read before the damage', async () => {
    const r = await analyze([memoryInput('cut.pcap', good.subarray(0, good.length - 10))]);
    expect(r.summary.packets).toBe(1);
    expect(r.summary.connections).toBe(1);
  });
});
