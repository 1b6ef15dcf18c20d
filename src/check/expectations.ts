import { basename } from 'node:path';
import { createRequire } from 'node:module';
import type { Report } from '../report/model.js';
import { FINDING_KINDS, SEVERITIES, type Severity } from '../detect/index.js';
import { endpointToString } from '../decode/address.js';
import { STATE_NAMES } from '../tcp/index.js';

/**
 * yaml, loaded on first use: only `check --expect` reads YAML, and loading the library costs every
 * other run about 40 ms of start-up. Its Node entry point is CommonJS, so require() loads it synchronously.
 */
let yamlLib: typeof import('yaml') | null = null;
function yaml(): typeof import('yaml') {
  return (yamlLib ??= createRequire(import.meta.url)('yaml') as typeof import('yaml'));
}

/**
 * What must hold for a stored capture (`tcpstate check --expect FILE`), as JSON (or the same in
 * YAML, for a file named .yaml or .yml):
 *
 *     { "rules": [ RULE, … ], "captures": { "NAME.pcap": { "rules": [ RULE, … ] } } }
 *
 * `rules` apply to every capture, `captures` adds rules for the capture of that file name. A RULE
 * is one of (each may have a `name`):
 * - `{ "noFinding": { "kind"?, "endpoint"?, "atLeast"? } }`: no finding like this;
 * - `{ "requireFinding": { "kind", "endpoint"?, "atLeast"? } }`: at least one (a known bug's regression capture);
 * - `{ "maxEndStates": { "client"?, "server"?, "max" } }`: at most `max` connections end in that state pair;
 * - `{ "endpointLimit": { "endpoint", "maxAbnormal" } }`: at most that many connections to this server
 *   endpoint end abnormally.
 */
export interface Expectations {
  rules: Rule[];
  captures: Record<string, Rule[]>;
}

export type Rule =
  | { type: 'noFinding'; name: string; kind?: string; endpoint?: string; atLeast: Severity }
  | { type: 'requireFinding'; name: string; kind: string; endpoint?: string; atLeast: Severity }
  | { type: 'maxEndStates'; name: string; client?: string; server?: string; max: number }
  | { type: 'endpointLimit'; name: string; endpoint: string; maxAbnormal: number };

export interface RuleResult {
  rule: string;
  ok: boolean;
  /** The figures behind the verdict, one line. */
  message: string;
}

export class ExpectationError extends Error {}

const RULE_TYPES = ['noFinding', 'requireFinding', 'maxEndStates', 'endpointLimit'] as const;

/** Parses and validates an expectations file; every error names the file and the path in it. */
export function parseExpectations(text: string, file: string): Expectations {
  let doc: unknown;
  if (/\.ya?ml$/i.test(file)) {
    const d = yaml().parseDocument(text, { uniqueKeys: true, prettyErrors: true });
    if (d.errors.length) throw new ExpectationError(`${file}: not valid YAML: ${d.errors[0]!.message.split('\n')[0]}`);
    doc = d.toJS();
  } else {
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new ExpectationError(`${file}: not valid JSON: ${(e as Error).message}`);
    }
  }
  const top = object(doc, file, '(top level)');
  allowOnly(top, ['rules', 'captures'], file, '(top level)');
  const rules = rulesOf(top.rules ?? [], file, 'rules');
  const captures: Record<string, Rule[]> = {};
  if (top.captures !== undefined) {
    for (const [name, value] of Object.entries(object(top.captures, file, 'captures'))) {
      const c = object(value, file, `captures.${name}`);
      allowOnly(c, ['rules'], file, `captures.${name}`);
      captures[name] = rulesOf(c.rules ?? [], file, `captures.${name}.rules`);
    }
  }
  if (rules.length === 0 && Object.values(captures).every((r) => r.length === 0)) throw new ExpectationError(`${file}: no rules`);
  return { rules, captures };
}

function rulesOf(v: unknown, file: string, path: string): Rule[] {
  if (!Array.isArray(v)) throw new ExpectationError(`${file}: ${path}: expected a list of rules`);
  return v.map((r, i) => rule(r, file, `${path}[${i}]`));
}

function rule(v: unknown, file: string, path: string): Rule {
  const o = object(v, file, path);
  const types = Object.keys(o).filter((k) => k !== 'name');
  if (types.length !== 1 || !(RULE_TYPES as readonly string[]).includes(types[0]!)) {
    throw new ExpectationError(`${file}: ${path}: expected one of ${RULE_TYPES.join(', ')} (and an optional name), not ${JSON.stringify(Object.keys(o))}`);
  }
  const type = types[0] as (typeof RULE_TYPES)[number];
  const name = o.name === undefined ? undefined : string(o.name, file, `${path}.name`);
  const p = `${path}.${type}`;
  const a = object(o[type], file, p);
  switch (type) {
    case 'noFinding': {
      allowOnly(a, ['kind', 'endpoint', 'atLeast'], file, p);
      const kind = a.kind === undefined ? undefined : oneOf(a.kind, FINDING_KINDS, file, `${p}.kind`);
      const endpoint = a.endpoint === undefined ? undefined : string(a.endpoint, file, `${p}.endpoint`);
      const atLeast = a.atLeast === undefined ? 'info' : oneOf(a.atLeast, SEVERITIES, file, `${p}.atLeast`);
      return { type, name: name ?? `no ${kind ?? 'finding'}${endpoint ? ` on ${endpoint}` : ''} at ${atLeast} or above`, kind, endpoint, atLeast };
    }
    case 'requireFinding': {
      allowOnly(a, ['kind', 'endpoint', 'atLeast'], file, p);
      const kind = oneOf(a.kind, FINDING_KINDS, file, `${p}.kind`);
      const endpoint = a.endpoint === undefined ? undefined : string(a.endpoint, file, `${p}.endpoint`);
      const atLeast = a.atLeast === undefined ? 'info' : oneOf(a.atLeast, SEVERITIES, file, `${p}.atLeast`);
      return { type, name: name ?? `a ${kind}${endpoint ? ` on ${endpoint}` : ''} at ${atLeast} or above`, kind, endpoint, atLeast };
    }
    case 'maxEndStates': {
      allowOnly(a, ['client', 'server', 'max'], file, p);
      const client = a.client === undefined ? undefined : oneOf(a.client, STATE_NAMES, file, `${p}.client`);
      const server = a.server === undefined ? undefined : oneOf(a.server, STATE_NAMES, file, `${p}.server`);
      if (client === undefined && server === undefined) throw new ExpectationError(`${file}: ${p}: name a client or a server state`);
      const max = count(a.max, file, `${p}.max`);
      return { type, name: name ?? `at most ${max} ending ${client ?? '*'}/${server ?? '*'}`, client, server, max };
    }
    case 'endpointLimit': {
      allowOnly(a, ['endpoint', 'maxAbnormal'], file, p);
      const endpoint = string(a.endpoint, file, `${p}.endpoint`);
      const maxAbnormal = count(a.maxAbnormal, file, `${p}.maxAbnormal`);
      return { type, name: name ?? `at most ${maxAbnormal} abnormal endings on ${endpoint}`, endpoint, maxAbnormal };
    }
  }
}

function object(v: unknown, file: string, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ExpectationError(`${file}: ${path}: expected an object`);
  return v as Record<string, unknown>;
}

function allowOnly(o: Record<string, unknown>, keys: string[], file: string, path: string): void {
  for (const k of Object.keys(o)) {
    if (!keys.includes(k)) throw new ExpectationError(`${file}: ${path}: unknown key "${k}" (known: ${keys.join(', ')})`);
  }
}

function string(v: unknown, file: string, path: string): string {
  if (typeof v !== 'string' || v === '') throw new ExpectationError(`${file}: ${path}: expected a non-empty string`);
  return v;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], file: string, path: string): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new ExpectationError(`${file}: ${path}: expected one of ${allowed.join(', ')}, not ${JSON.stringify(v)}`);
  }
  return v as T;
}

function count(v: unknown, file: string, path: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ExpectationError(`${file}: ${path}: expected a whole number of 0 or more, not ${JSON.stringify(v)}`);
  return v;
}

/** The rules that apply to a capture: the global ones, then those for its file name. */
export function rulesFor(e: Expectations, capture: string): Rule[] {
  return [...e.rules, ...(e.captures[basename(capture)] ?? [])];
}

/** Checks each rule against a report. */
export function evaluate(report: Report, rules: Rule[]): RuleResult[] {
  return rules.map((r) => evaluateRule(report, r));
}

function evaluateRule(report: Report, r: Rule): RuleResult {
  switch (r.type) {
    case 'noFinding':
    case 'requireFinding': {
      const rank = SEVERITIES.indexOf(r.atLeast);
      const found = report.findings.filter((f) => (r.kind === undefined || f.kind === r.kind) &&
        (r.endpoint === undefined || f.endpoint === r.endpoint) && SEVERITIES.indexOf(f.severity) <= rank);
      const list = found.slice(0, 3).map((f) => `${f.severity} ${f.kind}${f.endpoint ? ` ${f.endpoint}` : ''} (${f.counts.connections} connections)`).join('; ');
      if (r.type === 'noFinding') {
        return { rule: r.name, ok: found.length === 0, message: found.length === 0 ? 'none found' : `found ${found.length}: ${list}` };
      }
      const all = report.findings.filter((f) => f.kind === r.kind).map((f) => `${f.severity} ${f.endpoint ?? ''}`.trim());
      return {
        rule: r.name, ok: found.length > 0,
        message: found.length > 0 ? `found ${found.length}: ${list}` : `not found${all.length ? ` (${r.kind} seen only as: ${all.join(', ')})` : ''}`,
      };
    }
    case 'maxEndStates': {
      let n = 0;
      for (let c = 0; c < STATE_NAMES.length; c++) {
        for (let s = 0; s < STATE_NAMES.length; s++) {
          if ((r.client === undefined || STATE_NAMES[c] === r.client) && (r.server === undefined || STATE_NAMES[s] === r.server)) n += report.matrix[c]![s]!;
        }
      }
      return { rule: r.name, ok: n <= r.max, message: `${n} connections end ${r.client ?? '*'}/${r.server ?? '*'} (at most ${r.max})` };
    }
    case 'endpointLimit': {
      if (!report.connections) return { rule: r.name, ok: false, message: 'the report kept no connections' };
      let n = 0;
      let total = 0;
      for (const c of report.connections()) {
        if (endpointToString(c.family, c.server) !== r.endpoint) continue;
        total++;
        if (!c.normalEnd) n++;
      }
      return { rule: r.name, ok: n <= r.maxAbnormal, message: `${n} of ${total} connections to ${r.endpoint} ended abnormally (at most ${r.maxAbnormal})` };
    }
  }
}
