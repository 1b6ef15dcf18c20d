import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../src/index.js';
import { endpointToString } from '../src/report/index.js';
import { conns } from './helpers/build.js';
import { casesIn, flat } from './golden/cases.js';

/**
 * Per connection, packets and bytes each way equal Wireshark's TCP conversation table
 * (`tshark -q -z conv,tcp`, stored in test/golden/tshark-conv/ by test/golden/make-golden.sh).
 * tshark counts frame bytes and prints 10,000 or more as whole kB (rounded down): ours are shown the same way.
 */
const ROOT = join(import.meta.dirname, '..');
const DIR = join(ROOT, 'test', 'golden', 'tshark-conv');

interface Row { a: string; b: string; framesBA: number; bytesBA: string; framesAB: number; bytesAB: string }

function parse(text: string): Row[] {
  const rows: Row[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+<-> (\S+)\s+(\d+) (\d+ (?:bytes|kB|MB))\s+(\d+) (\d+ (?:bytes|kB|MB))\s/.exec(line);
    if (m) rows.push({ a: m[1]!, b: m[2]!, framesBA: Number(m[3]), bytesBA: m[4]!, framesAB: Number(m[5]), bytesAB: m[6]! });
  }
  return rows;
}

/** Wireshark's format_size with SI prefixes, as the conversation table prints byte counts. */
function wiresharkSize(n: number): string {
  if (n >= 10_000_000) return `${Math.floor(n / 1_000_000)} MB`;
  if (n >= 10_000) return `${Math.floor(n / 1000)} kB`;
  return `${n} bytes`;
}

/** tshark writes an endpoint as address:port, IPv6 without brackets. */
const tsharkEndpoint = (s: string) => s.replace(/^\[(.*)\]:(\d+)$/, '$1:$2');

/**
 * Captures whose TCP travels in tunnels tshark's conversation table counts its own way: it leaves
 * the FabricPath copies of a conversation out of the table (though its frame count has them), and
 * counts GTP-U packets with other than their frame length. tcpstate agrees with tshark's count of
 * TCP frames in both (test/decode.test.ts).
 */
const TUNNEL_EXCEPTIONS = new Set(['captures__zeek__cisco-fabric-path.pcap.txt', 'captures__zeek__gtp2_different_udp_port.pcap.txt']);

describe('packets and bytes per connection equal tshark -z conv,tcp', () => {
  let compared = 0;
  for (const file of casesIn('tshark-conv').map((c) => `${flat(c)}.txt`).filter((f) => !TUNNEL_EXCEPTIONS.has(f))) {
    it(file, async () => {
      const rows = parse(readFileSync(join(DIR, file), 'utf8'));
      const report = await analyze([join(ROOT, file.replace(/\.txt$/, '').replace(/__/g, '/'))]);
      // tshark splits a reused four-tuple into conversations, as tcpstate splits it into incarnations (a new SYN
      // after both FINs), or keeps one conversation: tcpstate's are then summed.
      type Counts = { frames: Record<string, number>; bytes: Record<string, number> };
      const ours = new Map<string, Counts[]>();
      for (const c of conns(report)) {
        const cl = tsharkEndpoint(endpointToString(c.family, c.client));
        const sv = tsharkEndpoint(endpointToString(c.family, c.server));
        const key = [cl, sv].sort().join(' ');
        const list = ours.get(key) ?? [];
        list.push({ frames: { [cl]: c.client.packets, [sv]: c.server.packets }, bytes: { [cl]: c.client.wireBytes, [sv]: c.server.wireBytes } });
        ours.set(key, list);
      }
      const theirs = new Map<string, Row[]>();
      for (const r of rows) {
        const key = [r.a, r.b].sort().join(' ');
        theirs.set(key, [...(theirs.get(key) ?? []), r]);
      }
      expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
      for (const [key, rs] of theirs) {
        let list = ours.get(key)!;
        if (rs.length === 1 && list.length > 1) {
          const sum: Counts = { frames: {}, bytes: {} };
          for (const e of list) {
            for (const [k, v] of Object.entries(e.frames)) sum.frames[k] = (sum.frames[k] ?? 0) + v;
            for (const [k, v] of Object.entries(e.bytes)) sum.bytes[k] = (sum.bytes[k] ?? 0) + v;
          }
          list = [sum];
        }
        expect(list.length, key).toBe(rs.length);
        rs.forEach((r, n) => {
          const e = list[n]!;
          expect([e.frames[r.a], wiresharkSize(e.bytes[r.a]!), e.frames[r.b], wiresharkSize(e.bytes[r.b]!)], `${r.a} <-> ${r.b}`)
            .toEqual([r.framesAB, r.bytesAB, r.framesBA, r.bytesBA]);
          compared++;
        });
      }
    });
  }
  it('compared every conversation', () => {
    // 26 captures, 54 conversations when the golden files were made; every one must have been compared.
    expect(compared).toBeGreaterThanOrEqual(54);
    console.log(`tshark conv,tcp: ${compared} of ${compared} conversations equal in packets and bytes each way`);
  });
});
