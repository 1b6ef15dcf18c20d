import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_MAX_ROWS } from '../analyze.js';
import { PCAP_READERS, type PcapReaderName } from '../capture/index.js';
import { ConfigError, DEFAULT_CONFIG, type DetectConfig, mergeConfig, setThreshold, THRESHOLD_DOCS } from '../detect/index.js';
import { DEFAULT_LIMITS, type TableLimits } from '../tcp/index.js';

/** The options of every command that reads captures: the connection table's (the same everywhere, so that connection ids agree) and the reader. */
export interface ReadOptions {
  msl: number;
  maxConnections: number;
  idleTimeout: number;
  reader: PcapReaderName;
}

/** The detector thresholds' options (analyze, check). */
export interface ThresholdOptions {
  config?: string;
  threshold: string[];
}

export function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a non-negative number of seconds');
  return n;
}

export function fraction(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('expected a fraction from 0 to 1');
  return n;
}

export function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

export function threadCount(v: string): number | 'auto' {
  if (v === 'auto') return 'auto';
  return positiveInt(v);
}

function collect(v: string, previous: string[]): string[] {
  return [...previous, v];
}

/** Adds --msl, --max-connections, --idle-timeout and --reader. */
export function readOptions(cmd: Command): Command {
  return cmd
    .option('--msl <seconds>', 'maximum segment lifetime; TIME_WAIT expires after 2×MSL', positiveNumber, 30)
    .addOption(new Option('--max-connections <n>', 'connections followed at once; when full, the least recently active is evicted with its last states')
      .argParser(positiveInt).default(DEFAULT_LIMITS.maxConnections))
    .addOption(new Option('--idle-timeout <seconds>', 'evict a connection, with its last states, after this long without a packet (0: never)')
      .argParser(positiveNumber).default(DEFAULT_LIMITS.idleTimeout))
    .addOption(new Option('--reader <reader>', 'what reads classic pcap: tcpstate (its own, the default) or pcap-parser (the npm package it is tested against)')
      .choices(PCAP_READERS).default('tcpstate'));
}

export function maxRowsOption(): Option {
  return new Option('--max-rows <n>', 'connections given a row of their own in JSON, HTML, Markdown, --all and conn.log (the first ones; the rest are counted only)')
    .argParser(positiveInt).default(DEFAULT_MAX_ROWS);
}

/** Adds --config and --threshold (`full`: with the longer help analyze gives). */
export function thresholdOptions(cmd: Command, full: boolean): Command {
  return cmd
    .option('--config <file>', full ? 'detector thresholds from a JSON file (see the README; unknown names are errors)' : 'detector thresholds from a JSON file')
    .option('--threshold <name=value>', full ? 'set one detector threshold, e.g. closeWait.seconds=2 (repeatable; after --config)' : 'set one detector threshold (repeatable)', collect, []);
}

export function limitsOf(o: ReadOptions): TableLimits {
  return { maxConnections: o.maxConnections, idleTimeout: o.idleTimeout };
}

/** Thresholds from a --config file and --threshold settings (in that order); every failure is a ConfigError naming its source. */
export function thresholds(o: ThresholdOptions): DetectConfig {
  let detect = DEFAULT_CONFIG;
  if (o.config !== undefined) {
    let text: string;
    try {
      text = readFileSync(o.config, 'utf8');
    } catch (e) {
      if (!isFsError(e)) throw e;
      throw new ConfigError(`${o.config}: cannot read it: ${(e as NodeJS.ErrnoException).code}`);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new ConfigError(`${o.config}: not valid JSON: ${(e as Error).message}`);
    }
    detect = mergeConfig(DEFAULT_CONFIG, doc, o.config);
  }
  for (const t of o.threshold) detect = setThreshold(detect, t);
  return detect;
}

export function thresholdHelp(): string {
  const rows = Object.entries(THRESHOLD_DOCS).map(([name, doc]) => {
    const [group, key] = name.split('.');
    const groupValue = (DEFAULT_CONFIG as unknown as Record<string, number | Record<string, number>>)[group!]!;
    const value = key === undefined ? groupValue : (groupValue as Record<string, number>)[key];
    return `  ${`${name}=${value}`.padEnd(30)} ${doc}`;
  });
  return `\nDetector thresholds (--threshold NAME=VALUE, or in a --config JSON file as {"closeWait": {"seconds": 2}}):\n${rows.join('\n')}\n`;
}

export function isFsError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string';
}
