import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../../src/analyze.js';
import type { CaptureInput } from '../../src/capture/index.js';
import { renderHtml, renderJson, renderMarkdown, renderText, renderZeek } from '../../src/report/index.js';

/** A small, fast, seedable PRNG (mulberry32): the same seed gives the same cases. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The real captures the mutations start from: ours and Zeek's. */
export function seeds(root: string): { name: string; bytes: Buffer }[] {
  const out: { name: string; bytes: Buffer }[] = [];
  for (const dir of [join(root, 'captures'), join(root, 'captures', 'zeek')]) {
    for (const f of readdirSync(dir).sort()) {
      if (/\.(pcap|pcapng|gz)$/.test(f)) out.push({ name: f, bytes: readFileSync(join(dir, f)) });
    }
  }
  return out;
}

const MUTATIONS = ['bit-flips', 'random-bytes', 'truncate', 'truncate-at-record', 'lying-caplen', 'pcapng-block-length',
  'link-type', 'ip-header-length', 'tcp-data-offset', 'tcp-options', 'random-file'] as const;
export type Mutation = (typeof MUTATIONS)[number];

/** One mutated capture: which seed, which mutation, and the bytes. */
export function mutate(seedFiles: { name: string; bytes: Buffer }[], r: () => number): { what: string; bytes: Buffer } {
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)]!;
  const m = pick(MUTATIONS);
  if (m === 'random-file') {
    const b = Buffer.alloc(Math.floor(r() * 4096));
    for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256);
    // Half of them start like a capture, so that they get past the magic.
    if (b.length >= 4 && r() < 0.5) b.writeUInt32LE(pick([0xa1b2c3d4, 0xa1b23c4d, 0x0a0d0d0a]), 0);
    return { what: `random ${b.length} bytes`, bytes: b };
  }
  const s = pick(seedFiles.filter((f) => !f.name.endsWith('.gz')));
  const b = Buffer.from(s.bytes);
  const at = () => Math.floor(r() * b.length);
  const pcapng = b.readUInt32LE(0) === 0x0a0d0d0a;
  const records = pcapng ? pcapngBlocks(b) : pcapRecords(b);
  const rec = records.length ? pick(records) : 24;
  switch (m) {
    case 'bit-flips':
      for (let k = 1 + Math.floor(r() * 8); k > 0; k--) { const i = at(); b[i] = b[i]! ^ (1 << Math.floor(r() * 8)); }
      break;
    case 'random-bytes':
      for (let k = 1 + Math.floor(r() * 16); k > 0; k--) b[at()] = Math.floor(r() * 256);
      break;
    case 'truncate':
    {
      const cut = at();
      return { what: `${s.name} cut at ${cut}: truncate`, bytes: b.subarray(0, cut) };
    }
    case 'truncate-at-record': {
      const cut = Math.min(b.length, rec + Math.floor(r() * 20));
      return { what: `${s.name} cut ${cut - rec} bytes into the record at ${rec}: truncate-at-record`, bytes: b.subarray(0, cut) };
    }
    case 'lying-caplen':
      if (!pcapng && rec + 16 <= b.length) b.writeUInt32LE(pick([0xffffffff, 256 * 1024 * 1024 + 1, 65536, 70000, 0]), rec + 8);
      else if (pcapng && rec + 24 <= b.length) b.writeUInt32LE(pick([0xffffffff, 256 * 1024 * 1024 + 1, 0]), rec + 20);
      break;
    case 'pcapng-block-length':
      if (pcapng && rec + 8 <= b.length) b.writeUInt32LE(pick([0, 4, 11, 12, 13, 0xffffffff, b.readUInt32LE(rec + 4) + 4]), rec + 4);
      else if (rec + 16 <= b.length) b.writeUInt32LE(Math.floor(r() * 200), rec + 12);
      break;
    case 'link-type':
      if (!pcapng) b.writeUInt32LE(pick([0, 1, 12, 101, 113, 276, 999, 0xffff, Math.floor(r() * 300)]), 20);
      else { const i = b.indexOf(Buffer.from([1, 0, 0, 0])); if (i >= 0 && i + 10 <= b.length) b.writeUInt16LE(Math.floor(r() * 300), i + 8); }
      break;
    case 'ip-header-length':
    case 'tcp-data-offset':
    case 'tcp-options': {
      // Ethernet frames: the IP header 14 bytes into the packet, TCP after it.
      const data = pcapng ? rec + 28 : rec + 16;
      const ip = data + 14;
      if (ip + 40 > b.length) break;
      if (m === 'ip-header-length') b[ip] = (b[ip]! & 0xf0) | Math.floor(r() * 16);
      else {
        const tcp = ip + (b[ip]! & 0x0f) * 4;
        if (tcp + 20 > b.length) break;
        if (m === 'tcp-data-offset') b[tcp + 12] = (Math.floor(r() * 16) << 4) | (b[tcp + 12]! & 0x0f);
        else { b[tcp + 12] = 0xf0; for (let i = 20; i < 60 && tcp + i < b.length; i++) b[tcp + i] = pick([0, 1, 2, 3, 4, 5, 8, 30, 255, Math.floor(r() * 256)]); }
      }
      break;
    }
  }
  return { what: `${s.name} ${m}`, bytes: b };
}

function pcapRecords(b: Buffer): number[] {
  const out: number[] = [];
  if (b.length < 24) return out;
  const le = b.readUInt32LE(0) === 0xa1b2c3d4 || b.readUInt32LE(0) === 0xa1b23c4d;
  for (let o = 24; o + 16 <= b.length && out.length < 10000;) {
    out.push(o);
    const len = le ? b.readUInt32LE(o + 8) : b.readUInt32BE(o + 8);
    o += 16 + len;
  }
  return out;
}

function pcapngBlocks(b: Buffer): number[] {
  const out: number[] = [];
  for (let o = 0; o + 12 <= b.length && out.length < 10000;) {
    out.push(o);
    const len = b.readUInt32LE(o + 4);
    if (len < 12) break;
    o += len;
  }
  return out;
}

export interface Failure {
  index: number;
  what: string;
  error: string;
  bytes: Buffer;
}

/**
 * How a case is run, by its index: from a stream (evidence headers copied) or from a file (evidence
 * read again by offset to print it), with the default table limits or with tiny ones that evict
 * on almost every packet.
 */
export function variant(index: number): { fromFile: boolean; tight: boolean } {
  return { fromFile: (index & 1) === 1, tight: (index & 2) === 2 };
}

/**
 * Runs the library on one input as the CLI would, in every output format. A damaged capture is
 * fine (it is reported); an exception, a run over `timeMs` or a heap over `heapMb` is a failure.
 */
export async function runOne(bytes: Buffer, timeMs: number, heapMb: number, how = { fromFile: false, tight: false }): Promise<string | null> {
  const start = performance.now();
  let dir: string | null = null;
  try {
    let input: CaptureInput;
    if (how.fromFile) {
      dir = mkdtempSync(join(tmpdir(), 'tcpstate-fuzz-'));
      input = join(dir, 'fuzz.pcap');
      writeFileSync(input, bytes);
    } else {
      input = { name: 'fuzz.pcap', stream: (async function* () { yield bytes; })() };
    }
    const limits = how.tight ? { maxConnections: 3, idleTimeout: 0.5 } : {};
    const report = await analyze([input], { transitions: true, zeek: true, ...limits });
    for (const render of [renderText, renderJson, renderMarkdown, renderHtml, renderZeek]) {
      for (const chunk of render(report)) if (typeof chunk !== 'string') return 'a renderer yielded a non-string';
    }
  } catch (e) {
    return `exception: ${(e as Error).stack ?? String(e)}`;
  } finally {
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
  }
  const ms = performance.now() - start;
  if (ms > timeMs) return `took ${ms.toFixed(0)} ms (bound ${timeMs})`;
  const heap = process.memoryUsage().heapUsed / 1048576;
  if (heap > heapMb) return `heap ${heap.toFixed(0)} MB (bound ${heapMb})`;
  return null;
}
