import type { Writable } from 'node:stream';
import { analyze } from '../analyze.js';
import { type CheckRun, checkJson, checkText, type Expectations, ExpectationError, junitXml, parseExpectations, readReport, reportDiff, ReportFormatError, runCheck } from '../check/index.js';
import { ConfigError, type DetectConfig } from '../detect/index.js';
import { printCapture } from '../print.js';
import { limitsNote, printable } from '../report/format.js';
import { captureAddresses, HTML_MAX_ROWS, Pseudonyms, redactReport, renderHtml, renderJson, renderMarkdown, renderText, renderZeek } from '../report/index.js';
import { setAddressRedactor } from '../decode/index.js';
import { showConnection } from '../show.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { isFsError, limitsOf, type ReadOptions, thresholds, type ThresholdOptions } from './options.js';
import { Output } from './output.js';
import { Progress, showProgress, totalBytes } from './progress.js';

/**
 * What each command does once commander has parsed it (main.ts): each resolves to its exit code,
 * 0 ok, 1 a check or diff that found something, 2 usage or input error.
 */

/** What a command writes to. */
export interface CliIo {
  stdout: Writable;
  stderr: Writable;
}

/** A message on standard error: names in it (of files, from the command line) print as text, escapes and all. */
export function say(io: CliIo, s: string): void {
  io.stderr.write(printable(s));
}

/** Packets counted as damaged rather than as some other protocol: what --strict refuses. */
const DAMAGE_REASONS = ['truncated-link-header', 'truncated-ip-header', 'bad-ip-header', 'truncated-tcp-header', 'bad-tcp-header'];

/** Colour only on a terminal, and never when NO_COLOR is set to anything (no-color.org). */
function useColor(out: Writable): boolean {
  return (out as { isTTY?: boolean }).isTTY === true && !process.env.NO_COLOR;
}

/** Thresholds, or the error said and null. */
function thresholdsOrSay(io: CliIo, o: ThresholdOptions): DetectConfig | null {
  try {
    return thresholds(o);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    say(io, `tcpstate: error: ${e.message}\n`);
    return null;
  }
}

export interface AnalyzeCliOptions extends ReadOptions, ThresholdOptions {
  format: 'text' | 'json' | 'markdown' | 'html' | 'zeek'; output?: string; all: boolean; byServer: boolean; transitions: boolean; limit: number;
  maxRows: number; threads: number | 'auto'; zeek: boolean; zeekChecksums: boolean; findings: boolean; quiet: boolean; strict: boolean;
  title?: string; note?: string; redact: boolean; redactKey?: string; redactPorts: boolean;
}

export async function analyzeCommand(io: CliIo, captures: string[], opts: AnalyzeCliOptions): Promise<number> {
  if ((opts.redactKey !== undefined || opts.redactPorts) && !opts.redact) {
    say(io, `tcpstate: error: ${opts.redactPorts ? '--redact-ports' : '--redact-key'} goes with --redact\n`);
    return 2;
  }
  // Every address is written through the pseudonyms from the analysis (findings' sentences) to the last chunk.
  if (opts.redact) {
    const pseudonyms = new Pseudonyms(opts.redactKey, opts.redactPorts);
    // Standard input cannot be read twice: its pseudonyms are not kept clear of its own addresses.
    if (!captures.includes('-')) pseudonyms.avoid(await captureAddresses(captures, opts.reader));
    setAddressRedactor(pseudonyms);
  }
  try {
    return await analyzeRun(io, captures, opts);
  } finally {
    if (opts.redact) setAddressRedactor(null);
  }
}

async function analyzeRun(io: CliIo, captures: string[], opts: AnalyzeCliOptions): Promise<number> {
  const keepAll = opts.format === 'json' || opts.format === 'markdown' || opts.format === 'html' || opts.all;
  const zeek = opts.zeek || opts.format === 'zeek' ? { ignoreChecksums: !opts.zeekChecksums } : false;
  // A conn.log is Zeek's records alone: no finding has a place in it, so none is looked for.
  const detects = opts.findings && opts.format !== 'zeek';
  const config = thresholdsOrSay(io, opts);
  if (config === null) return 2;
  const progress = showProgress(io.stderr, opts.quiet) ? new Progress(io.stderr, totalBytes(captures)) : null;
  let report;
  try {
    report = await analyze(captures, {
      msl: opts.msl, keep: keepAll ? 'all' : 'notable', transitions: opts.transitions || opts.format === 'html', notableLimit: opts.limit, zeek,
      detect: detects ? config : false, ...limitsOf(opts), reader: opts.reader, threads: opts.threads,
      // The page holds HTML_MAX_ROWS rows at most: rows past them would only take memory.
      maxRows: opts.format === 'html' ? Math.min(opts.maxRows, HTML_MAX_ROWS) : opts.maxRows,
      onProgress: progress ? (packets, bytes) => progress.update(packets, bytes) : null,
      graphs: opts.format === 'html',
    });
  } finally {
    progress?.done();
  }
  report.title = opts.title ?? null;
  report.note = opts.note ?? null;
  if (opts.redact) redactReport(report, opts.redactPorts);
  // What came before damage is still reported (it may be all there is of an incident), then the error.
  let code = report.damage ? 2 : 0;
  if (report.damage && report.summary.packets === 0) {
    say(io, `tcpstate: error: ${report.damage.message}\n`);
    return code;
  }
  const chunks = opts.format === 'json' ? renderJson(report) : opts.format === 'zeek' ? renderZeek(report)
    : opts.format === 'markdown' ? renderMarkdown(report) : opts.format === 'html' ? renderHtml(report)
      : renderText(report, { all: opts.all, byServer: opts.byServer, color: opts.output === undefined && useColor(io.stdout) });
  const out = new Output(opts.output, io.stdout);
  try {
    await out.pour(chunks);
  } finally {
    out.close();
  }
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
  return code;
}

export interface CheckCliOptions extends ReadOptions, ThresholdOptions {
  expect?: string; baseline?: string; updateBaseline: boolean; junit?: string; format: 'text' | 'json'; maxRows: number;
}

export async function checkCommand(io: CliIo, captures: string[], opts: CheckCliOptions): Promise<number> {
  if (opts.expect === undefined && opts.baseline === undefined) {
    say(io, 'tcpstate: error: check needs --expect FILE, --baseline DIR, or both\n');
    return 2;
  }
  let expectations: Expectations | null = null;
  try {
    if (opts.expect !== undefined) expectations = parseExpectations(readFileSync(opts.expect, 'utf8'), opts.expect);
  } catch (e) {
    if (!(e instanceof ExpectationError || isFsError(e))) throw e;
    say(io, `tcpstate: error: ${isFsError(e) ? `${opts.expect}: cannot read it: ${e.code}` : e.message}\n`);
    return 2;
  }
  const detect = thresholdsOrSay(io, opts);
  if (detect === null) return 2;
  const run: CheckRun = await runCheck(captures, {
    expectations, baselineDir: opts.baseline, updateBaseline: opts.updateBaseline,
    analyze: { msl: opts.msl, detect, ...limitsOf(opts), maxRows: opts.maxRows, reader: opts.reader },
  });
  if (run.damage) {
    say(io, `tcpstate: error: ${run.damage.message}\n`);
    return 2;
  }
  if (opts.junit !== undefined) writeFileSync(opts.junit, junitXml(run.outcomes));
  io.stdout.write(opts.format === 'json' ? checkJson(run) : checkText(run));
  return run.failed.length ? 1 : 0;
}

export function diffCommand(io: CliIo, a: string, b: string): number {
  let lines: string[];
  try {
    lines = reportDiff(readReport(a), readReport(b));
  } catch (e) {
    if (!(e instanceof ReportFormatError || isFsError(e))) throw e;
    say(io, `tcpstate: error: ${isFsError(e) ? `${e.path}: cannot read it: ${e.code}` : e.message}\n`);
    return 2;
  }
  io.stdout.write(lines.length ? `${lines.join('\n')}\n` : 'no differences\n');
  return lines.length ? 1 : 0;
}

export interface PrintCliOptions extends ReadOptions {
  states: boolean; conn?: number; absoluteTcpSequenceNumbers: boolean; output?: string;
}

export async function printCommand(io: CliIo, captures: string[], opts: PrintCliOptions): Promise<number> {
  const out = new Output(opts.output, io.stdout);
  let result;
  try {
    result = await printCapture(captures, {
      states: opts.states, conn: opts.conn, absolute: opts.absoluteTcpSequenceNumbers, msl: opts.msl, limits: limitsOf(opts), reader: opts.reader,
    }, (line) => out.write(line));
  } finally {
    out.close();
  }
  if (!result.damage) return 0;
  say(io, `tcpstate: error: ${result.damage.message}\n`);
  return 2;
}

export async function showCommand(io: CliIo, captures: string[], opts: ReadOptions & { conn: number }): Promise<number> {
  const result = await showConnection(captures, opts.conn, opts.msl, limitsOf(opts), opts.reader);
  if (result.text !== null) io.stdout.write(result.text);
  if (result.damage) {
    say(io, `tcpstate: error: ${result.damage.message}\n`);
    return 2;
  }
  if (result.text !== null) return 0;
  say(io, `tcpstate: error: no connection ${opts.conn} in ${captures.join(', ')}\n`);
  return 2;
}
