import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frame, type Seg } from './helpers/build.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'tcpstate');

/** Markup and terminal escapes wherever a pcapng file can carry text, and in the file's own name. */
const MARKUP = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script></script><svg onload=window.pwned=3>';
const ESCAPES = '\x1b]0;pwned\x07\x1b[2J\x1b[31m';
const NAME = `${MARKUP.replace(/\//g, '∕')}${ESCAPES}.pcapng`;

function option(code: number, text: string): Buffer {
  const v = Buffer.from(text, 'utf8');
  const b = Buffer.alloc(4 + ((v.length + 3) & ~3));
  b.writeUInt16LE(code, 0);
  b.writeUInt16LE(v.length, 2);
  v.copy(b, 4);
  return b;
}

function block(type: number, body: Buffer): Buffer {
  const len = 12 + body.length;
  const b = Buffer.alloc(len);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(len, 4);
  body.copy(b, 8);
  b.writeUInt32LE(len, len - 4);
  return b;
}

const END = Buffer.alloc(4);

/** SHB and IDB with comments, names and descriptions of markup; packets with markup comments; then a block whose trailer lies. */
function hostilePcapng(): Buffer {
  const text = MARKUP + ESCAPES;
  const shbHead = Buffer.alloc(16);
  shbHead.writeUInt32LE(0x1a2b3c4d, 0);
  shbHead.writeUInt16LE(1, 4);
  shbHead.writeBigInt64LE(-1n, 8);
  const shb = block(0x0a0d0d0a, Buffer.concat([shbHead, option(1, text), option(2, text), option(3, text), option(4, text), END]));
  const idbHead = Buffer.alloc(8);
  idbHead.writeUInt16LE(1, 0);
  const idb = block(1, Buffer.concat([idbHead, option(1, text), option(2, text), option(3, text), END]));
  const segs: Seg[] = [
    { t: 1, from: 'c', flags: 'S', seq: 1 },
    { t: 1.001, from: 's', flags: 'R.', seq: 0, ack: 2 },
  ];
  const epbs = segs.map((s) => {
    const data = frame(s);
    const head = Buffer.alloc(20);
    const us = BigInt(Math.round((1_700_000_000 + s.t) * 1e6));
    head.writeUInt32LE(0, 0);
    head.writeUInt32LE(Number(us >> 32n), 4);
    head.writeUInt32LE(Number(us & 0xffffffffn), 8);
    head.writeUInt32LE(data.length, 12);
    head.writeUInt32LE(data.length, 16);
    const padded = Buffer.alloc((data.length + 3) & ~3);
    data.copy(padded);
    return block(6, Buffer.concat([head, padded, option(1, text), END]));
  });
  const broken = block(6, Buffer.alloc(40));
  broken.writeUInt32LE(9999, broken.length - 4);
  return Buffer.concat([shb, idb, ...epbs, broken]);
}

/** Files under `dir`, relative to it. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)))
    .sort();
}

describe('report safety: text from a hostile capture and its name is shown as text', () => {
  let dir: string;
  let home: string;
  let tmp: string;
  let capture: string;
  const run = (args: string[], cwd = dir) =>
    spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: home, TMPDIR: tmp } });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tcpstate-safety-'));
    home = join(dir, 'home');
    tmp = join(dir, 'tmp');
    mkdirSync(home);
    mkdirSync(tmp);
    mkdirSync(join(dir, 'in'));
    capture = join(dir, 'in', NAME);
    writeFileSync(capture, hostilePcapng());
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the capture is read up to the broken block, and the damage is reported', () => {
    const r = run(['analyze', '-f', 'json', capture]);
    expect(r.status, r.stderr).toBe(2);
    const report = JSON.parse(r.stdout);
    expect(report.summary.packets).toBe(2);
    expect(report.inputs[0].file).toBe(capture);
    expect(report.summary.damage).toMatchObject({ packet: 3, code: 'bad-block' });
  });

  it('HTML: nothing injected (two scripts, both ours; no element from the capture or its name)', () => {
    const r = run(['analyze', '-f', 'html', '-o', 'report.html', capture]);
    expect(r.status).toBe(2);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html.match(/<script/gi)).toHaveLength(2);
    expect(html).not.toMatch(/<img|<svg/i);
    // The name is only in the embedded data, which cannot close its script element: every < in it is \u003c.
    const data = /<script type="application\/json" id="data">([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(data).not.toContain('<');
    expect(html.replace(data, '')).not.toMatch(/pwned|onerror|onload/);
    expect(JSON.parse(data).title).toBe(`tcpstate: ${capture}`);
  });

  it('Markdown: the name only inside code spans, no raw HTML, no terminal escapes', () => {
    const r = run(['analyze', '-f', 'markdown', capture]);
    expect(r.status).toBe(2);
    // Our own <details> and <summary> aside, no < outside code spans.
    const outsideCode = r.stdout.replace(/(`+)[^`]*?\1/g, '').replace(/<\/?(details|summary)>/g, '');
    expect(outsideCode).not.toContain('<');
    expect(r.stdout).toContain('\\x1b[2J');
    expect(r.stdout).not.toContain('\x1b');
  });

  it('text and error lines: terminal escapes in the name are printed visibly, never sent to the terminal', () => {
    const r = run(['analyze', capture]);
    expect(r.status).toBe(2);
    expect(r.stdout).toContain('Capture      ');
    expect(r.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(r.stdout).toContain('\\x1b[2J');
    expect(r.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(r.stderr).toContain('\\x1b]0;pwned\\x07');
  });

  it('writes exactly the files named, and nothing else: not next to the capture, not in HOME or TMPDIR', () => {
    const out = mkdtempSync(join(dir, 'cwd-'));
    const normal = join(import.meta.dirname, '..', 'captures', 'refused.pcap');
    expect(run(['analyze', '-f', 'json', '-o', 'a.json', normal], out).status).toBe(0);
    expect(run(['analyze', '-f', 'html', '-o', join(out, 'b.html'), normal], out).status).toBe(0);
    expect(run(['analyze', '-f', 'markdown', '-o', 'sub dir.md', normal], out).status).toBe(0);
    writeFileSync(join(out, 'expect.json'), JSON.stringify({ rules: [{ noFinding: { kind: 'syn_flood' } }] }));
    const check = run(['check', '--expect', 'expect.json', '--baseline', 'base', '--update-baseline', '--junit', 'junit.xml', normal], out);
    expect(check.status, check.stderr).toBe(0);
    expect(files(out)).toEqual(['a.json', 'b.html', join('base', 'refused.pcap.json'), 'expect.json', 'junit.xml', 'sub dir.md']);
    expect(files(join(dir, 'in'))).toEqual([NAME]);
    expect(files(home)).toEqual([]);
    expect(files(tmp)).toEqual([]);
  });

  it('an output path that cannot be written is a one-line error, and no other file appears', () => {
    const out = mkdtempSync(join(dir, 'cwd-'));
    const normal = join(import.meta.dirname, '..', 'captures', 'refused.pcap');
    const r = run(['analyze', '-f', 'json', '-o', join('missing', 'a.json'), normal], out);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^tcpstate: error: .*missing.*a\.json/);
    expect(files(out)).toEqual([]);
  });
});
