import { closeSync, createWriteStream, mkdirSync, openSync, readFileSync, readSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { analyze, DEFAULT_MAX_ROWS } from '../analyze.js';
import { DEFAULT_LIMITS } from '../tcp/index.js';
import { limitsNote, printable } from '../report/format.js';
import { printCapture } from '../print.js';
import { showConnection } from '../show.js';
import { CaptureError, PCAP_READERS, type PcapReaderName } from '../capture/index.js';
import { HTML_MAX_ROWS, renderHtml, renderJson, renderMarkdown, renderText, renderZeek } from '../report/index.js';
import { VERSION } from '../version.js';
import { Progress } from './progress.js';
import {
  asReport, type CaptureOutcome, evaluate, type Expectations, ExpectationError, junitXml, parseExpectations, reportDiff,
  ReportFormatError, type RuleResult, rulesFor,
} from '../check/index.js';
import { basename, dirname, join } from 'node:path';
import { ConfigError, DEFAULT_CONFIG, type DetectConfig, mergeConfig, setThreshold, THRESHOLD_DOCS } from '../detect/index.js';

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
}

const EXAMPLES = `
Examples:
  $ tcpstate analyze capture.pcap                     end states and notable connections
  $ tcpstate analyze --all capture.pcapng.gz          every connection (gzip is detected by content)
  $ tcpstate analyze -f json -o report.json --transitions capture.pcap
  $ tcpstate analyze -f zeek capture.pcap > conn.log         Zeek's conn.log, records cut as Zeek cuts them
  $ tcpstate analyze rotated.pcap0 rotated.pcap1      several files, merged by timestamp
  $ tcpstate analyze --threshold closeWait.seconds=30 --config thresholds.json capture.pcap
  $ tcpdump -i eth0 -w - 'tcp port 443' | tcpstate analyze -
  $ tcpstate print capture.pcap                       each packet as tcpdump -nn prints it, with both sides' states
  $ tcpstate print --conn 3 --no-states capture.pcap
  $ tcpstate show --conn 3 capture.pcap               one connection's life as a ladder diagram
  $ tcpstate analyze -f markdown capture.pcap > report.md   a report to paste into a ticket
  $ tcpstate check --expect expectations.json --junit junit.xml captures/*.pcap
  $ tcpstate check --baseline baselines/ captures/*.pcap    fails when a stored capture's report changes
  $ tcpstate diff before.json after.json
`;

/** Thresholds from a --config file and --threshold settings (in that order); every failure is a ConfigError naming its source. */
function thresholds(config: string | undefined, settings: readonly string[]): DetectConfig {
  let detect = DEFAULT_CONFIG;
  if (config !== undefined) {
    let text: string;
    try {
      text = readFileSync(config, 'utf8');
    } catch (e) {
      if (!isFsError(e)) throw e;
      throw new ConfigError(`${config}: cannot read it: ${(e as NodeJS.ErrnoException).code}`);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new ConfigError(`${config}: not valid JSON: ${(e as Error).message}`);
    }
    detect = mergeConfig(DEFAULT_CONFIG, doc, config);
  }
  for (const t of settings) detect = setThreshold(detect, t);
  return detect;
}

/** A message on standard error: names in it (of files, from the command line) print as text, escapes and all. */
function say(io: CliIo, s: string): void {
  io.stderr.write(printable(s));
}

/** Packets counted as damaged rather than as some other protocol: what --strict refuses. */
const DAMAGE_REASONS = ['truncated-link-header', 'truncated-ip-header', 'bad-ip-header', 'truncated-tcp-header', 'bad-tcp-header'];

/** A progress line only for a person watching: standard error a terminal, not --quiet, not under CI. */
function showProgress(io: CliIo, quiet: boolean): boolean {
  return !quiet && (io.stderr as { isTTY?: boolean }).isTTY === true && !process.env.CI;
}

/** Colour only on a terminal, and never when NO_COLOR is set to anything (no-color.org). */
function useColor(out: Writable): boolean {
  return (out as { isTTY?: boolean }).isTTY === true && !process.env.NO_COLOR;
}

/** The inputs' total size when every one is a plain file (an ETA needs it); null otherwise. */
function totalBytes(captures: readonly string[]): number | null {
  let total = 0;
  for (const c of captures) {
    if (c === '-') return null;
    try {
      const fd = openSync(c, 'r');
      const magic = Buffer.alloc(2);
      readSync(fd, magic, 0, 2, 0);
      closeSync(fd);
      // Offsets of a gzip file are counted in its decompressed bytes: no share of the file size to show.
      if (magic[0] === 0x1f && magic[1] === 0x8b) return null;
      total += statSync(c).size;
    } catch {
      return null;
    }
  }
  return total;
}

/** Compares a capture's report with its stored baseline, or writes the baseline. */
function baseline(file: string, json: string, update: boolean): { result: RuleResult; diff: string[] } {
  const rule = `baseline ${file}`;
  let stored: string | null = null;
  try {
    stored = readFileSync(file, 'utf8');
  } catch (e) {
    if (!isFsError(e) || (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (update) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, json);
    return { result: { rule, ok: true, message: stored === null ? 'written' : 'rewritten' }, diff: [] };
  }
  if (stored === null) return { result: { rule, ok: false, message: 'no baseline (run with --update-baseline to write it)' }, diff: [] };
  let diff: string[];
  try {
    diff = reportDiff(asReport(JSON.parse(stored), file), asReport(JSON.parse(json), 'this run'));
  } catch (e) {
    if (!(e instanceof ReportFormatError || e instanceof SyntaxError)) throw e;
    return { result: { rule, ok: false, message: `unreadable baseline: ${e.message}` }, diff: [] };
  }
  return { result: { rule, ok: diff.length === 0, message: diff.length === 0 ? 'unchanged' : `${diff.length} ${diff.length === 1 ? 'difference' : 'differences'}` }, diff };
}

function readReport(file: string) {
  const text = readFileSync(file, 'utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ReportFormatError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  return asReport(doc, file);
}

function collect(v: string, previous: string[]): string[] {
  return [...previous, v];
}

function isFsError(e: unknown): e is Error {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string';
}

function thresholdHelp(): string {
  const rows = Object.entries(THRESHOLD_DOCS).map(([name, doc]) => {
    const [group, key] = name.split('.');
    const groupValue = (DEFAULT_CONFIG as unknown as Record<string, number | Record<string, number>>)[group!]!;
    const value = key === undefined ? groupValue : (groupValue as Record<string, number>)[key];
    return `  ${`${name}=${value}`.padEnd(30)} ${doc}`;
  });
  return `\nDetector thresholds (--threshold NAME=VALUE, or in a --config JSON file as {"closeWait": {"seconds": 2}}):\n${rows.join('\n')}\n`;
}

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a non-negative number of seconds');
  return n;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

// The connection table's bounds, the same for every command that reads captures (so that ids agree).
const maxConnectionsOption = () => new Option('--max-connections <n>',
  'connections followed at once; when full, the least recently active is evicted with its last states')
  .argParser(positiveInt).default(DEFAULT_LIMITS.maxConnections);
const idleTimeoutOption = () => new Option('--idle-timeout <seconds>',
  'evict a connection, with its last states, after this long without a packet (0: never)')
  .argParser(positiveNumber).default(DEFAULT_LIMITS.idleTimeout);
function threadCount(v: string): number | 'auto' {
  if (v === 'auto') return 'auto';
  return positiveInt(v);
}

const readerOption = () => new Option('--reader <reader>',
  'what reads classic pcap: tcpstate (its own, the default) or pcap-parser (the npm package it is tested against)')
  .choices(PCAP_READERS).default('tcpstate');
const maxRowsOption = () => new Option('--max-rows <n>',
  'connections given a row of their own in JSON, HTML, Markdown, --all and conn.log (the first ones; the rest are counted only)')
  .argParser(positiveInt).default(DEFAULT_MAX_ROWS);

/** Runs the command line; resolves to the exit code (0 ok, 1 a check that failed or an internal error, 2 usage or input error). */
export async function main(argv: readonly string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let code = 0;
  const program = new Command('tcpstate')
    .description('Reconstruct both endpoints\' TCP state (RFC 793) for every connection in a packet capture.')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => say(io, s) })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXAMPLES);

  program.command('analyze')
    .description('Read captures (pcap, pcapng, gzip, - for stdin) and report each connection\'s end states')
    .argument('<capture...>', 'capture files; several are merged in timestamp order as one capture; - reads stdin')
    .addOption(new Option('-f, --format <format>', 'report format: text, json, markdown, html, or zeek (a conn.log)').choices(['text', 'json', 'markdown', 'html', 'zeek']).default('text'))
    .option('--zeek', 'also follow the capture as Zeek does: each JSON connection gets Zeek\'s uid, conn_state and history', false)
    .option('--zeek-checksums', 'with --zeek or -f zeek, drop packets with bad TCP checksums as plain zeek does (default: like zeek -C)', false)
    .option('-o, --output <file>', 'write the report to FILE instead of standard output')
    .option('--all', 'list every connection, not just the notable ones', false)
    .option('--transitions', 'include every state transition of every connection in the JSON', false)
    .option('--msl <seconds>', 'maximum segment lifetime; TIME_WAIT expires after 2×MSL', positiveNumber, 30)
    .option('--limit <n>', 'how many notable connections the text report lists', positiveInt, 20)
    .addOption(maxConnectionsOption())
    .addOption(maxRowsOption())
    .addOption(idleTimeoutOption())
    .addOption(readerOption())
    .addOption(new Option('--threads <n>', 'threads that follow the connections (auto: one per core with 4 cores or more, for a capture of 64 MB or more or stdin; else 1); the report is the same whatever the number')
      .argParser(threadCount).default('auto'))
    .option('--config <file>', 'detector thresholds from a JSON file (see the README; unknown names are errors)')
    .option('--threshold <name=value>', 'set one detector threshold, e.g. closeWait.seconds=2 (repeatable; after --config)', collect, [])
    .option('--no-findings', 'skip the detectors: states and connections only')
    .option('-q, --quiet', 'no progress line on standard error (there is none anyway when it is not a terminal, or under CI)', false)
    .option('--strict', 'exit 2 on any damage: a capture that breaks off, and packets with truncated or bad link, IP or TCP headers (counted, and reported, either way)', false)
    .addHelpText('after', EXAMPLES + thresholdHelp())
    .exitOverride()
    .action(async (captures: string[], opts: {
      format: 'text' | 'json' | 'markdown' | 'html' | 'zeek'; output?: string; all: boolean; transitions: boolean; msl: number; limit: number;
      maxConnections: number; idleTimeout: number; maxRows: number; reader: PcapReaderName; threads: number | 'auto';
      zeek: boolean; zeekChecksums: boolean; config?: string; threshold: string[]; findings: boolean; quiet: boolean; strict: boolean;
    }) => {
      const keepAll = opts.format === 'json' || opts.format === 'markdown' || opts.format === 'html' || opts.all;
      const zeek = opts.zeek || opts.format === 'zeek' ? { ignoreChecksums: !opts.zeekChecksums } : false;
      let detect: DetectConfig | false;
      try {
        detect = thresholds(opts.config, opts.threshold);
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        say(io, `tcpstate: error: ${e.message}\n`);
        code = 2;
        return;
      }
      if (!opts.findings) detect = false;
      const progress = showProgress(io, opts.quiet) ? new Progress(io.stderr, totalBytes(captures)) : null;
      let report;
      try {
        report = await analyze(captures, {
          msl: opts.msl, keep: keepAll ? 'all' : 'notable', transitions: opts.transitions || opts.format === 'html', notableLimit: opts.limit, zeek, detect,
          maxConnections: opts.maxConnections, idleTimeout: opts.idleTimeout, reader: opts.reader, threads: opts.threads,
          // The page holds HTML_MAX_ROWS rows at most: rows past them would only take memory.
          maxRows: opts.format === 'html' ? Math.min(opts.maxRows, HTML_MAX_ROWS) : opts.maxRows,
          onProgress: progress ? (packets, bytes) => progress.update(packets, bytes) : null,
        });
      } finally {
        progress?.done();
      }
      if (report.damage) {
        // What came before the damage is still reported (it may be all there is of an incident), then the error.
        code = 2;
        if (report.summary.packets === 0) {
          say(io, `tcpstate: error: ${report.damage.message}\n`);
          return;
        }
      }
      const chunks = opts.format === 'json' ? renderJson(report) : opts.format === 'zeek' ? renderZeek(report)
        : opts.format === 'markdown' ? renderMarkdown(report) : opts.format === 'html' ? renderHtml(report) : renderText(report, { all: opts.all, color: opts.output === undefined && useColor(io.stdout) });
      await writeAll(chunks, opts.output, io.stdout);
      // A conn.log has no place to say what the bounds left out: standard error says it.
      const limits = opts.format === 'zeek' ? limitsNote(report.summary.limits) : null;
      if (limits) say(io, `tcpstate: note: ${limits}\n`);
      if (report.damage) say(io, `tcpstate: error: ${report.damage.message}\n`);
      if (opts.strict) {
        const damaged = Object.entries(report.summary.notDecoded).filter(([reason]) => DAMAGE_REASONS.includes(reason));
        if (damaged.length) {
          say(io, `tcpstate: error: --strict: damaged packets: ${damaged.map(([r, n]) => `${r} ${n}`).join(', ')}\n`);
          code = 2;
        }
      }
    });

  program.command('check')
    .description('CI mode: check stored captures against expectations and/or stored baselines; exit 0 when all hold, 1 when one fails, 2 on bad usage or input')
    .argument('<capture...>', 'capture files, each checked on its own')
    .option('--expect <file>', 'the expectations (JSON; see the README)')
    .option('--baseline <dir>', 'compare each capture\'s report with DIR/<capture file name>.json')
    .option('--update-baseline', 'write (or rewrite) the baselines instead of failing on a missing or changed one', false)
    .option('--junit <file>', 'also write JUnit XML: one test case per capture and rule')
    .addOption(new Option('-f, --format <format>', 'outcome format: text or json').choices(['text', 'json']).default('text'))
    .option('--config <file>', 'detector thresholds from a JSON file')
    .option('--threshold <name=value>', 'set one detector threshold (repeatable)', collect, [])
    .option('--msl <seconds>', 'maximum segment lifetime; TIME_WAIT expires after 2×MSL', positiveNumber, 30)
    .addOption(maxConnectionsOption())
    .addOption(maxRowsOption())
    .addOption(idleTimeoutOption())
    .addOption(readerOption())
    .exitOverride()
    .action(async (captures: string[], opts: {
      expect?: string; baseline?: string; updateBaseline: boolean; junit?: string; format: 'text' | 'json';
      config?: string; threshold: string[]; msl: number; maxConnections: number; idleTimeout: number; maxRows: number; reader: PcapReaderName;
    }) => {
      if (opts.expect === undefined && opts.baseline === undefined) {
        say(io, 'tcpstate: error: check needs --expect FILE, --baseline DIR, or both\n');
        code = 2;
        return;
      }
      let expectations: Expectations | null = null;
      let detect: DetectConfig;
      try {
        if (opts.expect !== undefined) expectations = parseExpectations(readFileSync(opts.expect, 'utf8'), opts.expect);
        detect = thresholds(opts.config, opts.threshold);
      } catch (e) {
        if (!(e instanceof ExpectationError || e instanceof ConfigError || isFsError(e))) throw e;
        const why = isFsError(e) ? `${opts.expect}: cannot read it: ${(e as NodeJS.ErrnoException).code}` : (e as Error).message;
        say(io, `tcpstate: error: ${why}\n`);
        code = 2;
        return;
      }
      const outcomes: CaptureOutcome[] = [];
      const diffs = new Map<string, string[]>();
      for (const capture of captures) {
        const report = await analyze([capture], { msl: opts.msl, keep: 'all', detect, maxConnections: opts.maxConnections, idleTimeout: opts.idleTimeout, maxRows: opts.maxRows, reader: opts.reader });
        if (report.damage) {
          say(io, `tcpstate: error: ${report.damage.message}\n`);
          code = 2;
          return;
        }
        const results = expectations ? evaluate(report, rulesFor(expectations, capture)) : [];
        if (opts.baseline !== undefined) {
          const json = [...renderJson(report)].join('');
          const file = join(opts.baseline, `${basename(capture)}.json`);
          const outcome = baseline(file, json, opts.updateBaseline);
          if (outcome.diff.length) diffs.set(capture, outcome.diff);
          results.push(outcome.result);
        }
        outcomes.push({ capture, results });
      }
      const failed = outcomes.flatMap((o) => o.results.filter((r) => !r.ok).map((r) => ({ capture: o.capture, ...r })));
      if (opts.junit !== undefined) writeFileSync(opts.junit, junitXml(outcomes));
      if (opts.format === 'json') {
        io.stdout.write(`${JSON.stringify({ ok: failed.length === 0, captures: outcomes }, null, 2)}\n`);
      } else {
        for (const f of failed) {
          io.stdout.write(`FAIL ${f.capture}: ${f.rule}: ${f.message}\n`);
          for (const line of f.rule.startsWith('baseline') ? diffs.get(f.capture) ?? [] : []) io.stdout.write(`  ${line}\n`);
        }
        const rules = outcomes.reduce((n, o) => n + o.results.length, 0);
        io.stdout.write(`${failed.length ? 'FAILED' : 'OK'}: ${rules - failed.length} of ${rules} checks hold on ${outcomes.length} ` +
          `${outcomes.length === 1 ? 'capture' : 'captures'}\n`);
      }
      code = failed.length ? 1 : 0;
    });

  program.command('diff')
    .description('What changed between two JSON reports (findings, end-state matrix, each connection\'s end states); exit 0 when nothing, 1 when something did')
    .argument('<before>', 'a report written by analyze -f json (or a baseline)')
    .argument('<after>', 'the report to compare with it')
    .exitOverride()
    .action((a: string, b: string) => {
      let lines: string[];
      try {
        lines = reportDiff(readReport(a), readReport(b));
      } catch (e) {
        if (!(e instanceof ReportFormatError || isFsError(e))) throw e;
        const why = isFsError(e) ? `${(e as NodeJS.ErrnoException).path}: cannot read it: ${(e as NodeJS.ErrnoException).code}` : (e as Error).message;
        say(io, `tcpstate: error: ${why}\n`);
        code = 2;
        return;
      }
      io.stdout.write(lines.length ? `${lines.join('\n')}\n` : 'no differences\n');
      code = lines.length ? 1 : 0;
    });

  program.command('print')
    .description('Print each TCP packet as `TZ=UTC tcpdump -nn -r` does (through `length N`), then both sides\' states after it')
    .argument('<capture...>', 'capture files, merged in timestamp order; - reads stdin')
    .option('--no-states', 'print the tcpdump part alone')
    .option('--conn <id>', 'only the packets of this connection (the ids of `analyze`)', positiveInt)
    .option('-S, --absolute-tcp-sequence-numbers', 'absolute sequence numbers, like tcpdump -S', false)
    .option('-o, --output <file>', 'write to FILE instead of standard output')
    .option('--msl <seconds>', 'maximum segment lifetime; TIME_WAIT expires after 2×MSL', positiveNumber, 30)
    .addOption(maxConnectionsOption())
    .addOption(idleTimeoutOption())
    .addOption(readerOption())
    .addHelpText('after', `
Example line:
  18:53:36.404541 IP 10.77.0.1.44312 > 10.77.0.2.8080: Flags [F.], seq 1, ack 8, win 63, options [nop,nop,TS val 3954182037 ecr 3623729294], length 0  client ESTABLISHED→FIN_WAIT_1  server ESTABLISHED→CLOSE_WAIT
`)
    .exitOverride()
    .action(async (captures: string[], opts: {
      states: boolean; conn?: number; absoluteTcpSequenceNumbers: boolean; output?: string; msl: number; maxConnections: number; idleTimeout: number; reader: PcapReaderName;
    }) => {
      const fd = opts.output ? openSync(opts.output, 'w') : -1;
      let block = '';
      const flush = () => {
        if (fd >= 0) writeSync(fd, block);
        else io.stdout.write(block);
        block = '';
      };
      try {
        const result = await printCapture(captures, {
          states: opts.states, conn: opts.conn, absolute: opts.absoluteTcpSequenceNumbers, msl: opts.msl,
          limits: { maxConnections: opts.maxConnections, idleTimeout: opts.idleTimeout }, reader: opts.reader,
        }, (line) => {
          block += line;
          if (block.length >= 65536) flush();
        });
        flush();
        if (result.damage) {
          say(io, `tcpstate: error: ${result.damage.message}\n`);
          code = 2;
        }
      } finally {
        if (fd >= 0) closeSync(fd);
      }
    });

  program.command('show')
    .description('Show the life of one connection as a ladder: packets between client and server, both states, every transition')
    .argument('<capture...>', 'capture files, merged in timestamp order; - reads stdin')
    .requiredOption('--conn <id>', 'the connection (the ids of `analyze`)', positiveInt)
    .option('--msl <seconds>', 'maximum segment lifetime; TIME_WAIT expires after 2×MSL', positiveNumber, 30)
    .addOption(maxConnectionsOption())
    .addOption(idleTimeoutOption())
    .addOption(readerOption())
    .exitOverride()
    .action(async (captures: string[], opts: { conn: number; msl: number; maxConnections: number; idleTimeout: number; reader: PcapReaderName }) => {
      const result = await showConnection(captures, opts.conn, opts.msl, { maxConnections: opts.maxConnections, idleTimeout: opts.idleTimeout }, opts.reader);
      if (result.text !== null) io.stdout.write(result.text);
      if (result.damage) {
        say(io, `tcpstate: error: ${result.damage.message}\n`);
        code = 2;
      } else if (result.text === null) {
        say(io, `tcpstate: error: no connection ${opts.conn} in ${captures.join(', ')}\n`);
        code = 2;
      }
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    if (e instanceof CaptureError) {
      say(io, `tcpstate: error: ${e.message}\n`);
      return 2;
    }
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err.code === 'string' && typeof err.path === 'string') {
      say(io, `tcpstate: error: ${err.path}: ${err.message}\n`);
      return 2;
    }
    say(io, `tcpstate: internal error: ${err?.message ?? String(e)}\n`);
    return 1;
  }
  return code;
}

/** Writes rendered pieces in blocks of about 64 KiB, waiting when the destination is full. */
async function writeAll(chunks: Iterable<string>, file: string | undefined, stdout: Writable): Promise<void> {
  const out: Writable = file ? createWriteStream(file) : stdout;
  const opened = file ? once(out, 'open') : Promise.resolve();
  await opened;
  let block = '';
  for (const c of chunks) {
    block += c;
    if (block.length >= 65536) {
      if (!out.write(block)) await once(out, 'drain');
      block = '';
    }
  }
  if (block) out.write(block);
  if (file) {
    out.end();
    await once(out, 'finish');
  }
}
