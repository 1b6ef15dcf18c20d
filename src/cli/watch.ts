import { once } from 'node:events';
import { type Command, Option } from 'commander';
import type { Writable } from 'node:stream';
import { type CaptureInput, followFile, untilAborted } from '../capture/index.js';
import { ConfigError, type DetectConfig } from '../detect/index.js';
import { groupDigits } from '../digits.js';
import { renderJson, renderMarkdown, renderText } from '../report/index.js';
import { watch, type WatchEvent, type WatchProgress, type WatchSink } from '../watch.js';
import { type CliIo, say } from './commands.js';
import { limitsOf, maxRowsOption, positiveInt, positiveNumber, type ReadOptions, readOptions, thresholdHelp, thresholds, type ThresholdOptions, thresholdOptions } from './options.js';
import { Output } from './output.js';
import { printable } from '../report/format.js';

export interface WatchCliOptions extends ReadOptions, ThresholdOptions {
  format: 'text' | 'ndjson'; interval: number; idleExit: number; reportFormat: 'text' | 'json' | 'markdown'; output?: string;
  all: boolean; byServer: boolean; limit: number; maxRows: number; findings: boolean;
}

const HELP = `
Events (--format ndjson), one JSON object a line, tied to capture time (the same bytes give the same lines, but for "wall"):
  {"type":"finding",...}   a finding when first found, and again when its severity changes
  {"type":"state",...}     a notable state change: refused, reset, a side stuck in CLOSE_WAIT, FIN_WAIT_2... past its threshold, and what that connection does next
  {"type":"snapshot",...}  every --interval seconds of capture time: packets, live connections by state, findings, busiest servers
  {"type":"end",...}       totals, and the packets per second of the run ("wall")

Examples:
  $ tcpdump -i eth0 -U -w - 'tcp port 443' | tcpstate watch
  $ tcpdump -i eth0 -U -w - | tcpstate watch --format ndjson - | jq -c 'select(.type == "finding")'
  $ tcpstate watch --idle-exit 10 /var/tmp/growing.pcap      follow a file tcpdump -w is writing; stop 10 s after it stops growing
`;

/** Registers `tcpstate watch` on the program (main.ts); `done` receives the exit code. */
export function addWatchCommand(program: Command, io: CliIo, done: (code: number) => void): void {
  const cmd = program.command('watch')
    .description('Follow a live capture (- for stdin, the default, or a file still being written): findings and notable states as they happen, then the report analyze would print')
    .argument('[capture]', 'a capture file, followed as it grows, or - for standard input', '-')
    .addOption(new Option('--format <format>', 'text: a view redrawn every second on a terminal, then the report; ndjson: one event per line').choices(['text', 'ndjson']).default('text'))
    .option('--interval <seconds>', 'seconds of capture time between snapshots and looks for findings', positiveNumber, 1)
    .option('--idle-exit <seconds>', 'a file: stop once it has not grown for this long (0: follow until Ctrl-C); stdin ends at its end', positiveNumber, 0)
    .addOption(new Option('--report-format <format>', 'format of the final report').choices(['text', 'json', 'markdown']).default('text'))
    .option('-o, --output <file>', 'write the final report to FILE (with --format ndjson, the report is written only then)')
    .option('--all', 'list every connection in the final text report', false)
    .option('--by-server', 'list every server endpoint in the final text report', false);
  readOptions(cmd)
    .option('--limit <n>', 'how many notable connections the text report lists', positiveInt, 20)
    .addOption(maxRowsOption());
  thresholdOptions(cmd, true)
    .option('--no-findings', 'skip the detectors: states and connections only')
    .addHelpText('after', HELP + thresholdHelp())
    .exitOverride()
    .action(async (capture: string, opts: WatchCliOptions) => { done(await watchCommand(io, capture, opts)); });
}

/** How often a followed file at its end is looked at again. */
const POLL_MS = 200;

/** How often the terminal view is redrawn, in wall-clock milliseconds. */
const REDRAW_MS = 1000;

/**
 * `tcpstate watch`: events as NDJSON lines, or a view redrawn every second on a terminal; then, at
 * the end of the input or on Ctrl-C, analyze's report of the same bytes (in NDJSON mode only
 * with -o, so that standard output stays one JSON object per line).
 */
export async function watchCommand(io: CliIo, capture: string, opts: WatchCliOptions): Promise<number> {
  if (!(opts.interval > 0)) {
    say(io, 'tcpstate: error: --interval must be more than 0 seconds\n');
    return 2;
  }
  let config: DetectConfig;
  try {
    config = thresholds(opts);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    say(io, `tcpstate: error: ${e.message}\n`);
    return 2;
  }
  const abort = new AbortController();
  const onSigint = () => {
    // A second Ctrl-C does not wait for the report.
    if (abort.signal.aborted) process.exit(130);
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  const input: CaptureInput = capture === '-'
    ? { name: '-', stream: untilAborted(process.stdin, abort.signal) }
    : { name: capture, stream: followFile(capture, { pollMs: POLL_MS, idleExit: opts.idleExit, signal: abort.signal }) };
  const ndjson = opts.format === 'ndjson';
  const tty = (io.stdout as { isTTY?: boolean }).isTTY === true;
  const view = !ndjson && tty ? new TerminalView(io.stdout, capture) : null;
  const sink: WatchSink = ndjson ? new LineSink(io.stdout) : view ?? { event: () => {} };
  const keepAll = opts.reportFormat !== 'text' || opts.all;
  let result;
  try {
    result = await watch(input, sink, {
      msl: opts.msl, keep: keepAll ? 'all' : 'notable', notableLimit: opts.limit, detect: opts.findings ? config : false, ...limitsOf(opts),
      maxRows: opts.maxRows, reader: opts.reader, interval: opts.interval, events: ndjson || view !== null, signal: abort.signal,
    });
  } finally {
    process.off('SIGINT', onSigint);
    view?.stop();
  }
  const report = result.report;
  const code = report.damage ? 2 : 0;
  if (report.damage && report.summary.packets === 0) {
    say(io, `tcpstate: error: ${report.damage.message}\n`);
    return code;
  }
  if (!ndjson || opts.output !== undefined) {
    const chunks = opts.reportFormat === 'json' ? renderJson(report) : opts.reportFormat === 'markdown' ? renderMarkdown(report)
      : renderText(report, { all: opts.all, byServer: opts.byServer, color: opts.output === undefined && tty && !process.env.NO_COLOR });
    const out = new Output(opts.output, io.stdout);
    try {
      await out.pour(chunks);
    } finally {
      out.close();
    }
  }
  if ((io.stderr as { isTTY?: boolean }).isTTY === true) {
    io.stderr.write(`tcpstate: ${groupDigits(report.summary.packets)} packets in ${result.wall.seconds} s: ${groupDigits(result.wall.packetsPerSecond)} packets/s, ${groupDigits(result.wall.processedPerSecond)} packets/s of processing\n`);
  }
  if (report.damage) say(io, `tcpstate: error: ${report.damage.message}\n`);
  return code;
}

/** One JSON object per line; reading waits while standard output is full, so nothing piles up in memory. */
class LineSink implements WatchSink {
  private block = '';

  constructor(private readonly out: Writable) {}

  event(e: WatchEvent): void {
    this.block += `${JSON.stringify(e)}\n`;
    if (e.type !== 'state') this.flush();
  }

  async drain(): Promise<void> {
    this.flush();
    if ((this.out as { writableNeedDrain?: boolean }).writableNeedDrain) await once(this.out, 'drain');
  }

  private flush(): void {
    if (this.block === '') return;
    this.out.write(this.block);
    this.block = '';
  }
}

/** The live view: cleared and drawn again every second of wall-clock time, from the last snapshot and the findings so far. */
class TerminalView implements WatchSink {
  private last: WatchProgress | null = null;
  /** When the view was last drawn (-Infinity: not yet, so that the first batch draws it). */
  private drawn = -Infinity;
  private readonly started = performance.now();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly out: Writable, private readonly name: string) {
    this.timer = setInterval(() => this.draw(), REDRAW_MS);
  }

  event(): void {}

  progress(p: WatchProgress): void {
    this.last = p;
    if (performance.now() - this.drawn >= REDRAW_MS) this.draw();
  }

  stop(): void {
    clearInterval(this.timer);
    // The report is printed in place of the view.
    if (this.drawn > -Infinity) this.out.write('\x1b[H\x1b[2J');
  }

  private draw(): void {
    const p = this.last;
    if (p === null) return;
    this.drawn = performance.now();
    const s = p.snapshot;
    const secs = (this.drawn - this.started) / 1000;
    const columns = (this.out as { columns?: number }).columns;
    const width = columns !== undefined && columns > 0 ? columns : 100;
    const lines = [
      `tcpstate watch ${this.name}   ${groupDigits(p.packets)} packets, ${groupDigits(Math.round(p.packets / Math.max(secs, 1e-3)))} packets/s` +
        `${s ? `   capture time ${s.ts}` : ''}`,
      '',
      `Connections  ${s ? `${groupDigits(s.live)} live, ${groupDigits(s.finished)} finished` : 'none yet'}`,
    ];
    if (s) {
      lines.push(`  ${'CLIENT/SERVER'.padEnd(34)} LIVE`);
      for (const [pair, n] of Object.entries(s.states).slice(0, 10)) lines.push(`  ${pair.padEnd(34)} ${groupDigits(n)}`);
    }
    lines.push('', `Findings     ${p.findings.length}`);
    for (const f of p.findings.slice(0, 12)) {
      lines.push(`  ${f.severity.toUpperCase().padEnd(9)} ${f.kind.padEnd(20)} ${(f.endpoint ?? '').padEnd(22)} since ${f.ts.slice(11, 23)}`);
    }
    if (s && s.servers.length) {
      lines.push('', 'Busiest servers (live connections)');
      for (const r of s.servers) lines.push(`  ${r.endpoint.padEnd(34)} ${groupDigits(r.live)}`);
    }
    this.out.write(`\x1b[H\x1b[2J${lines.map((l) => printable(l.length > width ? l.slice(0, width - 1) : l)).join('\n')}\n`);
  }
}
