import { basename, join } from 'node:path';
import { analyze, type AnalyzeOptions } from '../analyze.js';
import type { CaptureError } from '../capture/index.js';
import { renderJson } from '../report/index.js';
import { compareBaseline } from './baseline.js';
import { evaluate, type Expectations, type RuleResult, rulesFor } from './expectations.js';
import type { CaptureOutcome } from './junit.js';

export interface CheckOptions {
  /** The rules to hold each capture to (null: baselines only). */
  expectations: Expectations | null;
  /** Where each capture's baseline is: DIR/<capture file name>.json (undefined: none). */
  baselineDir?: string;
  /** Write the baselines instead of comparing with them. */
  updateBaseline: boolean;
  /** How each capture is analysed (every connection is kept: the rules and baselines read them all). */
  analyze: Omit<AnalyzeOptions, 'keep'>;
}

export interface CheckRun {
  outcomes: CaptureOutcome[];
  /** The rules that failed, with their capture. */
  failed: (RuleResult & { capture: string })[];
  /** A baseline's differences, by capture. */
  diffs: Map<string, string[]>;
  /** A capture that could not be read to its end: checking stopped there. */
  damage: CaptureError | null;
}

/** `tcpstate check`: each capture analysed on its own, held to the expectations and its baseline. */
export async function runCheck(captures: readonly string[], options: CheckOptions): Promise<CheckRun> {
  const outcomes: CaptureOutcome[] = [];
  const diffs = new Map<string, string[]>();
  for (const capture of captures) {
    const report = await analyze([capture], { ...options.analyze, keep: 'all' });
    if (report.damage) return { outcomes, failed: [], diffs, damage: report.damage };
    const results = options.expectations ? evaluate(report, rulesFor(options.expectations, capture)) : [];
    if (options.baselineDir !== undefined) {
      const json = [...renderJson(report)].join('');
      const outcome = compareBaseline(join(options.baselineDir, `${basename(capture)}.json`), json, options.updateBaseline);
      if (outcome.diff.length) diffs.set(capture, outcome.diff);
      results.push(outcome.result);
    }
    outcomes.push({ capture, results });
  }
  const failed = outcomes.flatMap((o) => o.results.filter((r) => !r.ok).map((r) => ({ capture: o.capture, ...r })));
  return { outcomes, failed, diffs, damage: null };
}

/** The outcome as text: each failure (a baseline's with its differences), then one line of totals. */
export function checkText(run: CheckRun): string {
  const out: string[] = [];
  for (const f of run.failed) {
    out.push(`FAIL ${f.capture}: ${f.rule}: ${f.message}`);
    for (const line of f.rule.startsWith('baseline') ? run.diffs.get(f.capture) ?? [] : []) out.push(`  ${line}`);
  }
  const rules = run.outcomes.reduce((n, o) => n + o.results.length, 0);
  const n = run.outcomes.length;
  out.push(`${run.failed.length ? 'FAILED' : 'OK'}: ${rules - run.failed.length} of ${rules} checks hold on ${n} ${n === 1 ? 'capture' : 'captures'}`);
  return `${out.join('\n')}\n`;
}

/** The outcome as JSON: whether all held, and every capture's rule results. */
export function checkJson(run: CheckRun): string {
  return `${JSON.stringify({ ok: run.failed.length === 0, captures: run.outcomes }, null, 2)}\n`;
}
