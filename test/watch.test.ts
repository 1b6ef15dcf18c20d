import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

const ROOT = join(import.meta.dirname, '..');
const CAP = join(ROOT, 'captures');
const BIN = join(ROOT, 'bin', 'tcpstate');

/**
 * A writer that sends `file` slowly: bytes up to `prefix` in `chunks` pieces `pause` ms apart,
 * then waits for a line on its own standard input before it sends the rest and closes.
 */
const WRITER = `
import { readFileSync } from 'node:fs';
const [file, prefix, chunks, pause] = process.argv.slice(1);
const buf = readFileSync(file);
const head = Number(prefix);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const step = Math.ceil(head / Number(chunks));
for (let o = 0; o < head; o += step) {
  process.stdout.write(buf.subarray(o, Math.min(o + step, head)));
  await sleep(Number(pause));
}
process.stdin.once('data', () => {
  process.stdout.end(buf.subarray(head));
  process.exit(0);
});
`;

/** Byte offset just past each pcap record (classic pcap, either byte order, microseconds or nanoseconds), with its timestamp. */
function records(buf: Buffer): { end: number; ts: number }[] {
  const le = buf.readUInt32LE(0) === 0xa1b2c3d4 || buf.readUInt32LE(0) === 0xa1b23c4d;
  const ns = (le ? buf.readUInt32LE(0) : buf.readUInt32BE(0)) === 0xa1b23c4d;
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const out: { end: number; ts: number }[] = [];
  for (let o = 24; o + 16 <= buf.length;) {
    const ts = u32(o) + u32(o + 4) * (ns ? 1e-9 : 1e-6);
    o += 16 + u32(o + 8);
    out.push({ end: o, ts });
  }
  return out;
}

interface Fed {
  lines: string[];
  /** How many lines had come when the rest of the input was let go (the writer still held its pipe open). */
  beforeEnd: number;
  code: number | null;
  err: string;
}

/**
 * Runs `tcpstate watch --format ndjson -` fed through a real pipe by the writer: once a line
 * matching `until` has come out of watch, the writer sends the rest of the capture and closes.
 */
function feed(file: string, prefix: number, until: RegExp, args: string[] = []): Promise<Fed> {
  return new Promise((resolve, reject) => {
    const writer = spawn(process.execPath, ['--input-type=module', '-e', WRITER, file, String(prefix), '5', '60'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const w: ChildProcess = spawn(process.execPath, [BIN, 'watch', '--format', 'ndjson', ...args, '-'], { stdio: [writer.stdout!, 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let beforeEnd = -1;
    const timer = setTimeout(() => {
      writer.kill();
      w.kill();
      reject(new Error(`watch gave no line matching ${until} in time; it wrote:\n${out}${err}`));
    }, 30_000);
    w.stdout!.setEncoding('utf8');
    w.stdout!.on('data', (d: string) => {
      out += d;
      if (beforeEnd < 0 && out.split('\n').some((l) => until.test(l))) {
        beforeEnd = out.split('\n').filter((l) => l !== '').length;
        writer.stdin!.write('go\n');
      }
    });
    w.stderr!.on('data', (d) => (err += d));
    w.on('close', (code) => {
      clearTimeout(timer);
      resolve({ lines: out.split('\n').filter((l) => l !== ''), beforeEnd, code, err });
    });
  });
}

/** The events without their wall-clock fields: what must be the same from one run to the next. */
function withoutWall(lines: readonly string[]): string[] {
  return lines.map((l) => {
    const e = JSON.parse(l) as Record<string, unknown>;
    delete e.wall;
    return JSON.stringify(e);
  });
}

describe('tcpstate watch', () => {
  it('finds the SYN flood while the capture is still arriving through a pipe, and its severity rising', async () => {
    const file = join(CAP, 'syn-flood.pcap');
    const buf = readFileSync(file);
    // The records up to 20:11:31.5: the flood's first two seconds, past both of its thresholds.
    const cut = records(buf).find((r) => r.ts >= Date.UTC(2026, 10, 21, 20, 11, 31, 500) / 1000)!.end;
    const r = await feed(file, cut, /"type":"finding".*"kind":"syn_flood".*"severity":"critical"/);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const live = r.lines.slice(0, r.beforeEnd).map((l) => JSON.parse(l) as Record<string, unknown>);
    const floods = live.filter((e) => e.type === 'finding' && e.kind === 'syn_flood');
    expect(floods.map((e) => [e.severity, e.was, e.endpoint])).toEqual([['warning', null, '10.77.0.2:8080'], ['critical', 'warning', '10.77.0.2:8080']]);
    expect(live.some((e) => e.type === 'end')).toBe(false);
    const end = JSON.parse(r.lines[r.lines.length - 1]!) as Record<string, unknown>;
    expect(end).toMatchObject({ type: 'end', packets: 5059, stopped: 'end', findings: { critical: 1 } });
    expect((end.wall as { packetsPerSecond: number }).packetsPerSecond).toBeGreaterThan(0);
  });

  it('finds the CLOSE_WAIT leak once its 5 s have passed in capture time, before the input ends', async () => {
    const file = join(CAP, 'server-never-closes.pcap');
    const buf = readFileSync(file);
    // Every record is sent, but the pipe is held open: only capture time proves the leak.
    const r = await feed(file, buf.length, /"type":"finding".*"kind":"close_wait_leak"/);
    expect(r.code).toBe(0);
    const live = r.lines.slice(0, r.beforeEnd).map((l) => JSON.parse(l) as Record<string, unknown>);
    const leak = live.find((e) => e.kind === 'close_wait_leak')!;
    expect(leak).toMatchObject({ type: 'finding', severity: 'warning', endpoint: '10.77.0.2:8080', side: 'server', ts: '2026-11-21T20:20:09.574507Z' });
    const stuck = live.find((e) => e.type === 'state' && e.reason === 'stuck')!;
    expect(stuck).toMatchObject({ conn: 1, side: 'server', from: 'ESTABLISHED', to: 'CLOSE_WAIT', client: '10.77.0.1:56786', server: '10.77.0.2:8080' });
    expect(live.some((e) => e.type === 'end')).toBe(false);
  });

  it('gives the same events however the bytes arrive, and twice the same', async () => {
    const file = join(CAP, 'syn-flood.pcap');
    const slow = await feed(file, readFileSync(file).length, /"type":"snapshot".*"ts":"2026-11-21T20:11:33/);
    const fast1 = await runFile(['--format', 'ndjson', '--idle-exit', '0.05', file]);
    const fast2 = await runFile(['--format', 'ndjson', '--idle-exit', '0.05', file]);
    expect(withoutWall(fast1)).toEqual(withoutWall(fast2));
    expect(withoutWall(slow.lines)).toEqual(withoutWall(fast1));
    // Wall-clock time lives under "wall", in snapshots and the end only.
    for (const l of fast1) if (!/"type":"(snapshot|end)"/.test(l)) expect(l).not.toContain('"wall"');
  });

  it.each(['server-never-closes.pcap', 'syn-flood.pcap', 'lossy.pcap', 'refused.pcap', 'pcapng.pcapng', 'server-never-closes.pcap.gz', 'reset-storm.pcap'])(
    'ends with the very report analyze prints for the same bytes: %s', async (name) => {
      const file = join(CAP, name);
      const a = await runCli(['analyze', file]);
      const w = await runCli(['watch', '--idle-exit', '0.05', file]);
      expect(w.code).toBe(a.code);
      expect(w.out).toBe(a.out);
      const aj = await runCli(['analyze', '-f', 'json', file]);
      const wj = await runCli(['watch', '--report-format', 'json', '--idle-exit', '0.05', file]);
      expect(wj.out).toBe(aj.out);
    });

  it('on a terminal draws the view (cleared and redrawn), then clears it for the report', async () => {
    const file = join(CAP, 'syn-flood.pcap');
    const w = await runCli(['watch', '--idle-exit', '0.05', file], { out: true, err: false });
    const a = await runCli(['analyze', file], { out: true, err: false });
    expect(w.code).toBe(0);
    const clear = '\x1b[H\x1b[2J';
    expect(w.out.startsWith(`${clear}tcpstate watch ${file}`)).toBe(true);
    expect(w.out).toContain('Busiest servers (live connections)');
    expect(w.out.endsWith(`${clear}${a.out}`)).toBe(true);
  });

  it('tells a refused connection and a reset as state events, with the packet and its tcpdump flags', async () => {
    const refused = (await runFile(['--format', 'ndjson', '--idle-exit', '0.05', join(CAP, 'refused.pcap')])).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(refused.filter((e) => e.type === 'state')).toEqual([{
      type: 'state', ts: '2026-11-21T18:53:32.103214Z', reason: 'refused', conn: 1, client: '10.77.0.1:44308', server: '10.77.0.2:8080',
      side: 'client', from: 'SYN_SENT', to: 'CLOSED', packet: 6, flags: 'R.',
    }]);
    const storm = (await runFile(['--format', 'ndjson', '--idle-exit', '0.05', join(CAP, 'reset-storm.pcap')])).map((l) => JSON.parse(l) as Record<string, unknown>);
    const resets = storm.filter((e) => e.type === 'state');
    expect(resets.length).toBeGreaterThan(0);
    for (const e of resets) expect(e).toMatchObject({ reason: 'reset', to: 'CLOSED', flags: expect.stringContaining('R') });
    // Events come in capture-time order.
    const ts = storm.map((e) => e.ts as string);
    expect([...ts].sort()).toEqual(ts);
  });

  it('with --format ndjson writes the report only to -o FILE', async () => {
    const file = join(CAP, 'rto-backoff.pcap');
    const dir = mkdtempSync(join(tmpdir(), 'tcpstate-watch-'));
    const out = join(dir, 'report.md');
    const w = await runCli(['watch', '--format', 'ndjson', '--report-format', 'markdown', '-o', out, '--idle-exit', '0.05', file]);
    expect(w.code).toBe(0);
    for (const l of w.out.trim().split('\n')) expect(() => JSON.parse(l)).not.toThrow();
    const a = await runCli(['analyze', '-f', 'markdown', file]);
    expect(readFileSync(out, 'utf8')).toBe(a.out);
  });

  it('a truncated capture: the one-line error naming file, packet and offset, exit code 2, as analyze', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcpstate-watch-'));
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, readFileSync(join(CAP, 'server-never-closes.pcap')).subarray(0, 3000));
    const a = await runCli(['analyze', cut]);
    const w = await runCli(['watch', '--idle-exit', '0.05', cut]);
    expect(w.code).toBe(2);
    expect(w.err).toBe(`tcpstate: error: ${cut}: packet 34, byte offset 2933: pcap: file is truncated: record of 66 bytes is cut off after 51 bytes\n`);
    expect(w.err).toBe(a.err);
    expect(w.out).toBe(a.out);
    const n = await runCli(['watch', '--format', 'ndjson', '--idle-exit', '0.05', cut]);
    expect(n.code).toBe(2);
    expect(n.err).toBe(a.err);
    expect(JSON.parse(n.out.trim().split('\n').pop()!)).toMatchObject({ type: 'end', stopped: 'damage', packets: 33 });
  });

  it('on Ctrl-C (SIGINT) stops following and writes the report of what it read', async () => {
    const file = join(CAP, 'server-never-closes.pcap');
    const dir = mkdtempSync(join(tmpdir(), 'tcpstate-watch-'));
    const out = join(dir, 'report.txt');
    const w = spawn(process.execPath, [BIN, 'watch', '--format', 'ndjson', '-o', out, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let lines = '';
    let sent = false;
    w.stdout.setEncoding('utf8');
    w.stdout.on('data', (d: string) => {
      lines += d;
      // The whole file has been read (its last look) and watch goes on following it: Ctrl-C.
      if (!sent && lines.includes('"type":"snapshot","ts":"2026-11-21T20:20:09.574507Z"')) {
        sent = true;
        w.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => w.on('close', resolve));
    expect(code).toBe(0);
    const end = JSON.parse(lines.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(end).toMatchObject({ type: 'end', stopped: 'interrupted', packets: 42 });
    expect(readFileSync(out, 'utf8')).toBe((await runCli(['analyze', file])).out);
  });

  it('follows a file as it grows until --idle-exit passes without growth', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcpstate-watch-'));
    const grow = join(dir, 'grow.pcap');
    const buf = readFileSync(join(CAP, 'server-never-closes.pcap'));
    writeFileSync(grow, buf.subarray(0, 1000));
    const done = runCli(['watch', '--idle-exit', '1', grow]);
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(grow, buf);
    const w = await done;
    const a = await runCli(['analyze', grow]);
    expect(w.code).toBe(0);
    expect(w.out).toBe(a.out);
  });
});

async function runFile(args: string[]): Promise<string[]> {
  const r = await runCli(['watch', ...args]);
  expect(r.code).toBe(0);
  return r.out.split('\n').filter((l) => l !== '');
}
