import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { availableParallelism, homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchSection, type Target } from './markdown.js';

/**
 * npm run bench [-- --markdown] [-- --runs N]
 *
 * tcpstate against the flow tools people would use instead, on two captures of real kernel TCP
 * (made once by make-capture.sh, cached in ~/.cache/tcpstate-bench): "short", 200,000 HTTP/1.0
 * requests without keep-alive (per-connection cost), and "bulk", a few long transfers (per-packet
 * cost). Every command runs once per round, the rounds round-robin, and the median of the rounds
 * is quoted (wall seconds and peak RSS under GNU time). Then the per-stage split of tcpstate on one
 * thread, measured in-process (stages.ts), and PASS or FAIL for each target of issue 11. A tool
 * that is not installed is said to be missing and skipped. --markdown prints the tables as the README has them.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CACHE = process.env.TCPSTATE_BENCH_DIR ?? join(homedir(), '.cache', 'tcpstate-bench');
const MSL = 30;
const args = process.argv.slice(2);
const MARKDOWN = args.includes('--markdown');
const RUNS = Number(args[args.indexOf('--runs') + 1] ?? 0) || Number(process.env.TCPSTATE_BENCH_RUNS ?? 3);
const CORES = availableParallelism();
const node = process.execPath;
const bin = join(ROOT, 'bin', 'tcpstate');
const benchJs = (f: string) => join(ROOT, 'dist', 'test', 'bench', f);

interface Command { name: string; cmd: string; args: string[]; tool: string; fresh?: () => string[] }
interface Figures { seconds: number; rssMb: number }

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

function ensureCapture(file: string, kind: 'short' | 'bulk'): void {
  if (existsSync(file)) return;
  mkdirSync(CACHE, { recursive: true });
  console.log(`making ${file} (needs root, nginx, ab, tcpdump${kind === 'bulk' ? ', ethtool' : ''}): test/bench/make-capture.sh ${kind}`);
  execFileSync('bash', [join(ROOT, 'test', 'bench', 'make-capture.sh'), file, kind], { stdio: 'inherit' });
}

/** Four copies of the capture back to back, each shifted past the previous one's end by more than 2×MSL. */
function ensureFourTimes(one: string, four: string): void {
  if (existsSync(four) && statSync(four).mtimeMs > statSync(one).mtimeMs) return;
  const src = openSync(one, 'r');
  const head = Buffer.alloc(24);
  readSync(src, head, 0, 24, 0);
  const dst = openSync(four, 'w');
  writeSync(dst, head);
  const size = statSync(one).size;
  let first = -1;
  let last = 0;
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

/** One run under GNU time: wall seconds and peak RSS. */
function once(c: Command): Figures {
  const extra = c.fresh ? c.fresh() : [];
  const p = spawnSync('/usr/bin/time', ['-f', '%e %M', c.cmd, ...c.args, ...extra], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  const lines = p.stderr.toString().trim().split('\n');
  const [sec, kb] = lines.at(-1)!.split(' ').map(Number);
  if (p.status !== 0 || !Number.isFinite(sec)) throw new Error(`${c.name} failed: ${lines.slice(-3).join(' | ')}`);
  return { seconds: sec!, rssMb: kb! / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Every command once per round, round-robin; the medians. */
function measure(commands: Command[]): Map<string, Figures> {
  const runs = new Map<string, Figures[]>(commands.map((c) => [c.name, []]));
  for (let r = 0; r < RUNS; r++) for (const c of commands) runs.get(c.name)!.push(once(c));
  return new Map([...runs].map(([k, v]) => [k, { seconds: median(v.map((x) => x.seconds)), rssMb: median(v.map((x) => x.rssMb)) }]));
}

function packetCount(file: string): number {
  return Number(execFileSync(node, [benchJs('walk.js'), file]).toString());
}

/** The in-process stage times (stages.ts), each the fastest of its runs, in ms: the stages timed in turn, round after round, in one process. */
function stages(file: string): Record<string, number> {
  return JSON.parse(execFileSync(node, [benchJs('stages.js'), 'all', file, String(Math.max(5, RUNS))]).toString()) as Record<string, number>;
}

function commandsFor(file: string, tmp: string): Command[] {
  const peers: Command[] = [
    { name: 'Node floor: walk the record headers', tool: 'node', cmd: node, args: [benchJs('walk.js'), file] },
    { name: 'pcap-parser, iterating records', tool: 'node', cmd: node, args: [benchJs('read.js'), file, 'pcap-parser'] },
    { name: 'tcpstate reader, iterating records', tool: 'node', cmd: node, args: [benchJs('read.js'), file] },
    { name: 'tcpstate analyze --threads 1 (text)', tool: 'node', cmd: node, args: [bin, 'analyze', '--threads', '1', file] },
    { name: 'tcpstate analyze --threads 1 -f json', tool: 'node', cmd: node, args: [bin, 'analyze', '--threads', '1', '-f', 'json', '-o', '/dev/null', file] },
    { name: 'tcpstate analyze --threads 1 -f zeek', tool: 'node', cmd: node, args: [bin, 'analyze', '--threads', '1', '-f', 'zeek', '-o', '/dev/null', file] },
    { name: `tcpstate analyze --threads ${CORES} (text)`, tool: 'node', cmd: node, args: [bin, 'analyze', '--threads', String(CORES), file] },
    { name: `tcpstate analyze --threads ${CORES} -f json`, tool: 'node', cmd: node, args: [bin, 'analyze', '--threads', String(CORES), '-f', 'json', '-o', '/dev/null', file] },
    { name: 'tcpstate analyze (default threads) -f json', tool: 'node', cmd: node, args: [bin, 'analyze', '-f', 'json', '-o', '/dev/null', file] },
    { name: 'tshark -r F -q -z conv,tcp', tool: 'tshark', cmd: 'tshark', args: ['-r', file, '-q', '-z', 'conv,tcp'] },
    { name: 'tcptrace -n F', tool: 'tcptrace', cmd: 'tcptrace', args: ['-n', file] },
    { name: 'argus -r F -w out', tool: 'argus', cmd: 'argus', args: ['-r', file], fresh: () => ['-w', join(tmp, `argus-${Math.random()}.out`)] },
    { name: 'nfpcapd -r F -l DIR', tool: 'nfpcapd', cmd: 'nfpcapd', args: ['-r', file], fresh: () => {
      const d = mkdtempSync(join(tmp, 'nf-'));
      return ['-l', d];
    } },
  ];
  return peers.filter((c) => {
    if (has(c.tool)) return true;
    console.log(`${c.tool} is not installed (apt-get install ${c.tool === 'argus' ? 'argus-server' : c.tool === 'nfpcapd' ? 'nfdump' : c.tool}): "${c.name}" not measured`);
    return false;
  });
}


function run(): number {
  const short = join(CACHE, 'web.pcap');
  const bulk = join(CACHE, 'bulk.pcap');
  const four = join(CACHE, 'web-4x.pcap');
  ensureCapture(short, 'short');
  ensureCapture(bulk, 'bulk');
  ensureFourTimes(short, four);
  const tmp = mkdtempSync(join(tmpdir(), 'tcpstate-bench-'));
  const out: string[] = [];
  let allPass = true;
  try {
    for (const [label, file] of [['short', short], ['bulk', bulk]] as const) {
      const packets = packetCount(file);
      const bytes = statSync(file).size;
      const commands = commandsFor(file, tmp);
      if (label === 'short') commands.push({ name: 'tcpstate analyze --threads 1 (text), 4x longer', tool: 'node', cmd: node, args: [bin, 'analyze', '--threads', '1', four] });
      const fig = measure(commands);
      const st = stages(file);
      const get = (name: string) => fig.get(name);
      const nf = get('nfpcapd -r F -l DIR');
      const text1 = get('tcpstate analyze --threads 1 (text)')!;
      const json1 = get('tcpstate analyze --threads 1 -f json')!;
      const jsonN = get(`tcpstate analyze --threads ${CORES} -f json`)!;
      const zeek1 = get('tcpstate analyze --threads 1 -f zeek')!;
      const perPacket = ((st.detect! - st.read!) * 1e6) / packets;
      const targets: Target[] = [
        { name: 'decode, track and detect at most 150 ns per packet (one thread)', value: `${perPacket.toFixed(0)} ns`, pass: perPacket <= 150 },
        { name: '--threads 1: text faster than nfpcapd', value: nf ? `${text1.seconds.toFixed(2)} s vs ${nf.seconds.toFixed(2)} s` : 'nfpcapd missing', pass: nf ? text1.seconds < nf.seconds : null },
        { name: '--threads 1: -f json within 1.3x nfpcapd', value: nf ? `${(json1.seconds / nf.seconds).toFixed(2)}x` : 'nfpcapd missing', pass: nf ? json1.seconds <= 1.3 * nf.seconds : null },
        { name: `--threads ${CORES} (every core): -f json faster than nfpcapd`, value: nf ? `${jsonN.seconds.toFixed(2)} s vs ${nf.seconds.toFixed(2)} s` : 'nfpcapd missing', pass: nf ? jsonN.seconds < nf.seconds : null },
        { name: `--threads ${CORES}: -f json at least 1.7x --threads 1`, value: `${(json1.seconds / jsonN.seconds).toFixed(2)}x`, pass: json1.seconds / jsonN.seconds >= 1.7 },
        { name: '-f zeek at most 1.3x -f json', value: `${(zeek1.seconds / json1.seconds).toFixed(2)}x`, pass: zeek1.seconds <= 1.3 * json1.seconds },
      ];
      if (label === 'short') {
        const text4 = get('tcpstate analyze --threads 1 (text), 4x longer')!;
        const flat = text4.rssMb / text1.rssMb;
        targets.push({ name: 'text report peak RSS at most 150 MB', value: `${text1.rssMb.toFixed(0)} MB`, pass: text1.rssMb <= 150 });
        targets.push({ name: 'text report peak RSS within 15% from 1x to 4x length', value: `${((flat - 1) * 100).toFixed(1)}%`, pass: flat <= 1.15 });
      }
      for (const t of targets) if (t.pass === false) allPass = false;
      out.push(...benchSection({
        label, file, packets, bytes, cores: CORES, runs: RUNS, stages: st, targets,
        rows: commands.map((c) => ({ name: c.name, ...fig.get(c.name)! })),
      }));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const text = out.join('\n');
  console.log(MARKDOWN ? text : text.replace(/^\|---.*\n/gm, '').replace(/^\| |\|$/gm, '').replace(/ \| /g, '  ').replace(/`/g, ''));
  return allPass ? 0 : 1;
}

process.exitCode = run();
