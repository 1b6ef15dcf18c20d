import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaptureError, CaptureSource, type PcapReaderName } from '../src/capture/index.js';
import { mutate, rng, seeds } from './fuzz/fuzz.js';

const ROOT = join(import.meta.dirname, '..');

/** Every record of a capture as one reader hands it over, and where it stopped reading, if it did. */
async function readAll(bytes: Uint8Array, reader: PcapReaderName, bufferSize?: number): Promise<{ records: string[]; damage: string | null }> {
  // Chunks of odd sizes, so that records and headers straddle the reads.
  const chunks: Uint8Array[] = [];
  for (let o = 0, k = 0; o < bytes.length; k++) {
    const n = [1, 7, 4096, 65535, 16][k % 5]!;
    chunks.push(bytes.subarray(o, o + n));
    o += n;
  }
  const source = new CaptureSource({ name: 'x.pcap', stream: chunks }, reader, bufferSize);
  const records: string[] = [];
  let damage: string | null = null;
  try {
    while (await source.next()) {
      const b = source.batch;
      for (let i = 0; i < b.length; i++) {
        const data = b.data.subarray(b.start[i]!, b.start[i]! + b.caplen[i]!);
        records.push(`${b.sec[i]}.${b.nsec[i]} ${b.caplen[i]} ${b.origLen[i]} ${b.linkType[i]} @${b.offset[i]}/${b.dataOffset[i]} ` +
          createHash('sha1').update(data).digest('hex'));
      }
    }
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    damage = `${e.code} packet ${e.packet} offset ${e.offset}: ${e.detail}`;
  }
  return { records, damage };
}

function captureFiles(): { name: string; bytes: Buffer }[] {
  const out: { name: string; bytes: Buffer }[] = [];
  for (const dir of ['captures', 'captures/zeek', 'captures/rotated', 'test/fixtures', 'test/fixtures/fuzz']) {
    for (const f of readdirSync(join(ROOT, dir)).sort()) {
      if (/\.(pcap|pcapng|gz|pcap\d)$/.test(f)) out.push({ name: `${dir}/${f}`, bytes: readFileSync(join(ROOT, dir, f)) });
    }
  }
  return out;
}

describe('tcpstate\'s pcap reader hands over exactly what pcap-parser does', () => {
  const files = captureFiles();
  it('covers every capture of the repository, the Zeek traces and the fuzz regressions', () => {
    expect(files.length).toBeGreaterThan(70);
    expect(files.filter((f) => f.bytes.readUInt32LE(0) === 0xa1b2c3d4).length).toBeGreaterThan(50);
  });
  for (const f of files) {
    it(f.name, async () => {
      const ours = await readAll(f.bytes, 'tcpstate');
      // The fuzz regressions are damaged on purpose; every other capture reads to its end.
      if (!f.name.includes('fuzz')) expect(ours.damage).toBeNull();
      expect(ours.records.length).toBeGreaterThan(0);
      expect(await readAll(f.bytes, 'pcap-parser')).toEqual(ours);
      // A buffer far smaller than one record: it grows to fit, and nothing changes.
      expect(await readAll(f.bytes, 'tcpstate', 64)).toEqual(ours);
    });
  }

  it('and stops at the same byte of the same packet, with the same words, on damaged files', async () => {
    const pcaps = seeds(ROOT).filter((s) => s.bytes.length >= 4 && [0xa1b2c3d4, 0xa1b23c4d].includes(s.bytes.readUInt32LE(0)));
    const r = rng(11);
    const damages = new Set<string>();
    let compared = 0;
    for (let k = 0; k < 600; k++) {
      const m = mutate(pcaps, r);
      if (m.bytes.length < 4 || ![0xa1b2c3d4, 0xa1b23c4d].includes(m.bytes.readUInt32LE(0))) continue;
      const ours = await readAll(m.bytes, 'tcpstate');
      expect(await readAll(m.bytes, 'pcap-parser'), m.what).toEqual(ours);
      if (ours.damage) damages.add(ours.damage.split(' ')[0]!);
      compared++;
    }
    expect(compared).toBeGreaterThan(400);
    expect([...damages].sort()).toEqual(['bad-header', 'record-too-long', 'truncated']);
  }, 60000);

  it('reads both byte orders and both magics: a big-endian nanosecond file', async () => {
    const le = readFileSync(join(ROOT, 'captures', 'nanosecond.pcap'));
    // Rewrite every header field in the other byte order.
    const be = Buffer.from(le);
    be.writeUInt32BE(0xa1b23c4d, 0);
    be.writeUInt16BE(le.readUInt16LE(4), 4);
    be.writeUInt16BE(le.readUInt16LE(6), 6);
    for (const o of [8, 12, 16, 20]) be.writeUInt32BE(le.readUInt32LE(o), o);
    for (let o = 24; o < le.length; o += 16 + le.readUInt32LE(o + 8)) {
      for (let f = 0; f < 16; f += 4) be.writeUInt32BE(le.readUInt32LE(o + f), o + f);
    }
    const a = await readAll(le, 'tcpstate');
    const b = await readAll(be, 'tcpstate');
    expect(b).toEqual(a);
    expect(await readAll(be, 'pcap-parser')).toEqual(a);
    expect(a.records[0]).toMatch(/^\d+\.\d+ /);
  });
});

describe('--reader pcap-parser', () => {
  it('gives the same report as the default reader on every capture of the repository', async () => {
    const { analyze, renderJson } = await import('../src/index.js');
    const { main } = await import('../src/cli/main.js');
    let compared = 0;
    for (const f of captureFiles()) {
      const path = join(ROOT, f.name);
      const json = async (reader: PcapReaderName) => [...renderJson(await analyze([path], { reader }))].join('');
      expect(await json('pcap-parser'), f.name).toBe(await json('tcpstate'));
      compared++;
    }
    expect(compared).toBeGreaterThan(70);
    // And from the command line.
    const out: string[] = [];
    const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => out.push(s) } } as never;
    expect(await main(['analyze', '--reader', 'pcap-parser', join(ROOT, 'captures', 'refused.pcap')], io)).toBe(0);
    expect(out.join('')).toContain('connection_refused');
  }, 60000);
});
