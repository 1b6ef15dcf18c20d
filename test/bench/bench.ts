import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RECORD_BYTES } from '../../src/tcp/index.js';

/**
 * npm run bench: tcpstate against tshark and tcptrace on one capture of real kernel traffic
 * (>= 1.5 M packets, many short connections), plus the floor of a bare walk over the records.
 * Prints seconds, packets/s, MB/s and peak RSS for each, the ratios, and checks the targets:
 * tcpstate >= 4x tshark's packets/s, and text-report peak RSS flat in capture length
 * (4 time-shifted copies within 15% of 1).
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CACHE = process.env.TCPSTATE_BENCH_DIR ?? join(homedir(), '.cache', 'tcpstate-bench');
const ONE = join(CACHE, 'web.pcap');
const FOUR = join(CACHE, 'web-4x.pcap');
const MSL = 30;

interface Run { name: string; seconds: number; rssMb: number }

function ensureCapture(): void {
  if (existsSync(ONE)) return;
  mkdirSync(CACHE, { recursive: true });
  console.log(`making ${ONE} (needs root, nginx, ab, tcpdump): bench/make-capture.sh`);
  execFileSync('bash', [join(ROOT, 'test', 'bench', 'make-capture.sh'), ONE], { stdio: 'inherit' });
}

/** Four copies of the capture back to back, each shifted past the previous one's end by more than 2×MSL. */
function ensureFourTimes(): void {
  if (existsSync(FOUR) && statSync(FOUR).mtimeMs > statSync(ONE).mtimeMs) return;
  const src = openSync(ONE, 'r');
  const head = Buffer.alloc(24);
  readSync(src, head, 0, 24, 0);
  const dst = openSync(FOUR, 'w');
  writeSync(dst, head);
  const size = statSync(ONE).size;
  let first = -1;
  let last = 0;
  // One pass to learn the time span.
  forEachRecord(src, size, (rec) => {
    const sec = rec.readUInt32LE(0);
    if (first < 0) first = sec;
    last = sec;
  });
  const shift = last - first + 2 * MSL + 10;
  for (let copy = 0; copy < 4; copy++) {
    forEachRecord(src, size, (rec) => {
      rec.writeUInt32LE(rec.readUInt32LE(0) + copy * shift, 0);
      writeSync(dst, rec);
    });
  }
  closeSync(src);
  closeSync(dst);
}

function forEachRecord(fd: number, size: number, fn: (rec: Buffer) => void): void {
  const buf = Buffer.alloc(1 << 22);
  let pos = 24;
  while (pos < size) {
    const n = readSync(fd, buf, 0, buf.length, pos);
    let o = 0;
    while (o + 16 <= n) {
      const len = 16 + buf.readUInt32LE(o + 8);
      if (o + len > n) break;
      fn(buf.subarray(o, o + len));
      o += len;
    }
    pos += o;
  }
}

const RUNS = Number(process.env.TCPSTATE_BENCH_RUNS ?? 5);

/**
 * Runs a command RUNS times under GNU time: the fastest wall time (the least disturbed run on a
 * shared machine) and the median peak RSS (peaks depend on when the garbage collector runs).
 */
function timed(name: string, cmd: string, args: string[]): Run {
  const secs: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const p = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
    const lines = p.stderr.toString().trim().split('\n');
    const [sec, kb] = lines.at(-1)!.split(' ').map(Number);
    if (p.status !== 0 || !Number.isFinite(sec)) throw new Error(`${name} failed: ${lines.slice(-3).join(' | ')}`);
    secs.push(sec!);
    rss.push(kb! / 1024);
  }
  rss.sort((a, b) => a - b);
  return { name, seconds: Math.min(...secs), rssMb: rss[Math.floor(rss.length / 2)]! };
}

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

function main(): number {
  ensureCapture();
  ensureFourTimes();
  const packets = Number(execFileSync('node', [join(ROOT, 'dist', 'test', 'bench', 'walk.js'), ONE]).toString());
  const bytes = statSync(ONE).size;
  const bin = join(ROOT, 'bin', 'tcpstate');
  console.log(`best wall time and median peak RSS of ${RUNS} runs each (TCPSTATE_BENCH_RUNS)`);
  console.log(`capture: ${ONE}\n  ${packets} packets, ${(bytes / 1e6).toFixed(1)} MB (HTTP/1.0 without keep-alive, nginx <- ab, real kernel TCP)\n`);
  const runs: Run[] = [];
  const node = process.execPath;
  runs.push(timed('node: bare walk over records (floor)', node, [join(ROOT, 'dist', 'test', 'bench', 'walk.js'), ONE]));
  runs.push(timed('tcpstate reader only (pcap-parser)', node, [join(ROOT, 'dist', 'test', 'bench', 'read.js'), ONE]));
  const json = timed('tcpstate analyze --format json', node, [bin, 'analyze', '--format', 'json', '-o', '/dev/null', ONE]);
  runs.push(json);
  runs.push(timed('tcpstate analyze --format json --no-findings', node, [bin, 'analyze', '--format', 'json', '--no-findings', '-o', '/dev/null', ONE]));
  const text1 = timed('tcpstate analyze (text)', node, [bin, 'analyze', ONE]);
  runs.push(text1);
  const tshark = has('tshark') ? timed('tshark -q -z conv,tcp', 'tshark', ['-r', ONE, '-q', '-z', 'conv,tcp']) : null;
  if (tshark) runs.push(tshark);
  const tcptrace = has('tcptrace') ? timed('tcptrace -n', 'tcptrace', ['-n', ONE]) : null;
  if (tcptrace) runs.push(tcptrace);

  const w = Math.max(...runs.map((r) => r.name.length));
  console.log(`${'run'.padEnd(w)}  ${'seconds'.padStart(8)}  ${'packets/s'.padStart(10)}  ${'MB/s'.padStart(7)}  ${'peak RSS MB'.padStart(11)}  vs json`);
  for (const r of runs) {
    console.log(`${r.name.padEnd(w)}  ${r.seconds.toFixed(2).padStart(8)}  ${Math.round(packets / r.seconds).toString().padStart(10)}  ` +
      `${(bytes / 1e6 / r.seconds).toFixed(1).padStart(7)}  ${r.rssMb.toFixed(0).padStart(11)}  ${(r.seconds / json.seconds).toFixed(2)}x`);
  }
  const read = runs[1]!;
  console.log(`\nsplit of the json run: reading records ${read.seconds.toFixed(2)} s, everything after ${(json.seconds - read.seconds).toFixed(2)} s; ` +
    `${(json.seconds / runs[0]!.seconds).toFixed(1)}x the bare walk`);

  const text4 = timed('tcpstate analyze (text), 4x', node, [bin, 'analyze', FOUR]);
  const flat = text4.rssMb / text1.rssMb;
  console.log(`text report peak RSS: 1x ${text1.rssMb.toFixed(0)} MB, 4x (time-shifted by more than 2MSL) ${text4.rssMb.toFixed(0)} MB: ratio ${flat.toFixed(2)}`);
  console.log(`json: ${RECORD_BYTES} bytes kept per finished connection (+32 per transition with --transitions)`);

  let ok = true;
  if (tshark) {
    const ratio = tshark.seconds / json.seconds;
    const pass = ratio >= 4;
    ok &&= pass;
    console.log(`target packets/s >= 4x tshark: ${ratio.toFixed(2)}x ${pass ? 'PASS' : 'FAIL'}`);
  } else {
    console.log('target packets/s >= 4x tshark: tshark not installed (apt-get install tshark), not checked');
  }
  const flatPass = flat <= 1.15;
  ok &&= flatPass;
  console.log(`target text RSS 4x within 15% of 1x: ${((flat - 1) * 100).toFixed(1)}% ${flatPass ? 'PASS' : 'FAIL'}`);
  return ok ? 0 : 1;
}

process.exitCode = main();
