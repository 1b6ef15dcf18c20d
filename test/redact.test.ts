import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../src/analyze.js';
import { addrToString, setAddressRedactor } from '../src/decode/index.js';
import { captureAddresses, Pseudonyms, redactReport, renderHtml, renderJson, renderMarkdown, renderText, renderZeek } from '../src/report/index.js';
import type { Report } from '../src/report/model.js';
import { runCli } from './helpers/cli.js';

const ROOT = join(import.meta.dirname, '..');
const CAP = join(ROOT, 'captures');

/** Every capture in the repository: captures/, its folders (the Zeek traces, correlate's pairs, ...). */
function captures(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return captures(p);
    return /\.(pcap|pcapng|trace)(\.gz)?$/.test(name) ? [p] : [];
  });
}

const FORMATS = ['text', 'json', 'markdown', 'html', 'zeek'] as const;

async function reportOf(file: string): Promise<Report> {
  return analyze([file], { keep: 'all', transitions: true, zeek: true, graphs: true });
}

function render(report: Report): string[] {
  return [renderText(report), renderJson(report), renderMarkdown(report), renderHtml(report), renderZeek(report)].map((chunks) => [...chunks].join(''));
}

/** The addresses an unredacted report writes: every connection's, and every dotted quad of every format (tunnels' outer headers too). */
function addressesOf(report: Report, outputs: string[]): Set<string> {
  const out = new Set<string>();
  for (const c of report.connections!()) {
    out.add(addrToString(c.family, c.client));
    out.add(addrToString(c.family, c.server));
  }
  for (const text of outputs) for (const m of text.matchAll(/(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\d)/g)) out.add(m[0]);
  return out;
}

/** Where `address` is written in `text` as an address of its own (not inside a longer number or IPv6 address). */
function written(text: string, address: string): boolean {
  const edge = address.includes(':') ? '[0-9a-f:]' : '[0-9]';
  const before = address.includes(':') ? '[0-9a-f:]' : '[0-9.]';
  return new RegExp(`(?<!${before})${address.replace(/[.:]/g, (c) => `\\${c}`)}(?!${edge})`).test(text);
}

describe('--redact', () => {
  it('no capture in the repository has any of its addresses in any format, file names included', async () => {
    let checked = 0;
    let coincidences = 0;
    for (const file of captures(CAP)) {
      const plain = await reportOf(file);
      if (plain.damage && plain.summary.packets === 0) continue;
      const real = addressesOf(plain, render(plain));
      const pseudonyms = new Pseudonyms('test key');
      pseudonyms.avoid(await captureAddresses([file], 'tcpstate'));
      setAddressRedactor(pseudonyms);
      let outputs: string[];
      const images = new Set<string>();
      try {
        const redacted = await reportOf(file);
        redactReport(redacted);
        outputs = render(redacted);
        for (const c of redacted.connections!()) {
          images.add(addrToString(c.family, c.client));
          images.add(addrToString(c.family, c.server));
        }
      } finally {
        setAddressRedactor(null);
      }
      const name = relative(ROOT, file);
      for (const [k, text] of outputs.entries()) {
        expect(text.includes(name) || text.includes(file), `${name} ${FORMATS[k]}: file name`).toBe(false);
        for (const a of real) {
          // :: and ::1 are kept as they are (IPv6 has one loopback address): they name no host.
          if (a === '::' || a === '::1' || !written(text, a)) continue;
          // A pseudonym is a permutation of its block: it may be, by chance, another real address of the capture.
          expect(images.has(a), `${name} ${FORMATS[k]}: ${a}`).toBe(true);
          coincidences++;
        }
      }
      checked++;
    }
    console.log(`--redact: ${checked} captures in 5 formats each, none of their addresses written`);
    expect(checked).toBeGreaterThan(60);
    // The capture's own addresses are kept clear of (Pseudonyms.avoid): not even by chance is a pseudonym one of them.
    expect(coincidences).toBe(0);
  }, 300_000);

  it('with --redact-ports, no endpoint of any capture is written with its real port, in any format', async () => {
    let checked = 0;
    for (const file of captures(CAP)) {
      const plain = await reportOf(file);
      if (plain.damage && plain.summary.packets === 0) continue;
      const pseudonyms = new Pseudonyms('test key', true);
      setAddressRedactor(pseudonyms);
      let outputs: string[];
      const leaks: string[] = [];
      try {
        const redacted = await reportOf(file);
        redactReport(redacted, true);
        outputs = render(redacted);
        // Each endpoint as the pseudonymised address with its real port, as tcpdump lines (addr.port) and the reports (addr:port) write it.
        const written = new Set<string>();
        const forms = (family: 4 | 6, a: string, port: number) => [`${a}.${port}`, family === 4 ? `${a}:${port}` : `[${a}]:${port}`];
        for (const c of redacted.connections!()) {
          for (const e of [c.client, c.server]) {
            const a = addrToString(c.family, e);
            for (const f of forms(c.family, a, pseudonyms.port!(e.port))) written.add(f);
            leaks.push(...forms(c.family, a, e.port));
          }
        }
        // A port's pseudonym may be, by chance, another endpoint's real port (a permutation of a range reuses its ports).
        leaks.splice(0, leaks.length, ...leaks.filter((l) => !written.has(l)));
      } finally {
        setAddressRedactor(null);
      }
      for (const [k, text] of outputs.entries()) {
        for (const l of leaks) expect(new RegExp(`${l.replace(/[.:[\]]/g, (ch) => `\\${ch}`)}(?!\\d)`).test(text), `${relative(ROOT, file)} ${FORMATS[k]}: ${l}`).toBe(false);
        if (k === 1) expect(JSON.parse(text).redacted).toEqual({ addresses: true, fileNames: true, ports: true });
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(60);
  }, 300_000);

  it('keeps each kind of address recognisable, and two runs with the same key write the same bytes', async () => {
    const p = new Pseudonyms('k');
    const v4 = (s: string, q = p) => {
      const [a, b, c, d] = s.split('.').map(Number) as [number, number, number, number];
      const x = q.v4(((a << 24) | (b << 16) | (c << 8) | d) >>> 0);
      return `${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`;
    };
    expect(v4('10.77.0.1')).toMatch(/^10\./);
    expect(v4('192.168.1.20')).toMatch(/^192\.168\./);
    expect(v4('172.20.3.4')).toMatch(/^172\.(1[6-9]|2\d|3[01])\./);
    expect(v4('127.0.0.1')).toMatch(/^127\./);
    expect(v4('8.8.8.8')).not.toMatch(/^(10|127|0)\.|^192\.168\.|^169\.254\.|^172\.(1[6-9]|2\d|3[01])\.|^(22[4-9]|2[3-5]\d)\./);
    expect(v4('10.77.0.1')).not.toBe('10.77.0.1');
    expect(v4('10.77.0.1', new Pseudonyms('k'))).toBe(v4('10.77.0.1'));
    expect(v4('10.77.0.1', new Pseudonyms('other'))).not.toBe(v4('10.77.0.1'));
    // A permutation: 65,536 addresses of one /16 give 65,536 pseudonyms.
    const seen = new Set<number>();
    for (let h = 0; h < 65536; h++) seen.add(p.v4((0x0a4d0000 | h) >>> 0));
    expect(seen.size).toBe(65536);
    const out = new Int32Array(4);
    p.v6(0xfd770000 | 0, 0, 0, 2, out);
    expect(out[0]! >>> 25).toBe(0xfd >>> 1);
    p.v6(0, 0, 0, 1, out);
    expect([...out]).toEqual([0, 0, 0, 1]);

    const file = join(CAP, 'mixed.pcap');
    for (const format of ['text', 'json', 'html', 'markdown', 'zeek']) {
      const a = await runCli(['analyze', '-f', format, '--redact', '--redact-key', 'incident 4711', file]);
      const b = await runCli(['analyze', '-f', format, '--redact', '--redact-key', 'incident 4711', '--threads', '2', file]);
      expect(a.code).toBe(0);
      expect(b.out).toBe(a.out);
      expect(a.out).not.toContain('10.77.0.');
      const other = await runCli(['analyze', '-f', format, '--redact', '--redact-key', 'another key', file]);
      expect(other.out).not.toBe(a.out);
    }
    const text = (await runCli(['analyze', '--redact', file])).out;
    expect(text).toContain('Redacted     addresses are pseudonyms');
    expect((await runCli(['analyze', '--redact-key', 'x', file])).code).toBe(2);
    expect((await runCli(['analyze', '--redact-ports', file])).code).toBe(2);
    // Ports stay in their range: well-known, registered, dynamic.
    const ports = new Pseudonyms('k', true);
    expect(ports.port!(0)).toBe(0);
    for (const [p, lo, hi] of [[80, 1, 1023], [8080, 1024, 49151], [53508, 49152, 65535]]) {
      expect(ports.port!(p!)).toBeGreaterThanOrEqual(lo!);
      expect(ports.port!(p!)).toBeLessThanOrEqual(hi!);
    }
    const seenPorts = new Set<number>();
    for (let q = 49152; q <= 65535; q++) seenPorts.add(ports.port!(q));
    expect(seenPorts.size).toBe(65535 - 49152 + 1);
  }, 60_000);
});
