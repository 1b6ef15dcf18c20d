import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { asReport, type ReportDoc, reportDiff, ReportFormatError } from './diff.js';
import type { RuleResult } from './expectations.js';

/** A capture's JSON report against its stored baseline (or the baseline written, when `update`): the rule's result and what differs. */
export function compareBaseline(file: string, json: string, update: boolean): { result: RuleResult; diff: string[] } {
  const rule = `baseline ${file}`;
  let stored: string | null = null;
  try {
    stored = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
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

/** A JSON report read from a file (for diff); a file that is not one is a ReportFormatError naming it. */
export function readReport(file: string): ReportDoc {
  const text = readFileSync(file, 'utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ReportFormatError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  return asReport(doc, file);
}
