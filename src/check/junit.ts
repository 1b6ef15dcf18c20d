import type { RuleResult } from './expectations.js';

export interface CaptureOutcome {
  capture: string;
  results: RuleResult[];
}

/** JUnit XML, one test suite per capture and one test case per rule, as CI systems display it. */
export function junitXml(outcomes: CaptureOutcome[]): string {
  const tests = outcomes.reduce((n, o) => n + o.results.length, 0);
  const failures = outcomes.reduce((n, o) => n + o.results.filter((r) => !r.ok).length, 0);
  let xml = '<?xml version="1.0" encoding="UTF-8"?>\n';
  xml += `<testsuites name="tcpstate check" tests="${tests}" failures="${failures}">\n`;
  for (const o of outcomes) {
    const f = o.results.filter((r) => !r.ok).length;
    xml += `  <testsuite name="${esc(o.capture)}" tests="${o.results.length}" failures="${f}">\n`;
    for (const r of o.results) {
      xml += `    <testcase classname="${esc(o.capture)}" name="${esc(r.rule)}">`;
      xml += r.ok ? `<system-out>${esc(r.message)}</system-out>` : `<failure message="${esc(r.message)}">${esc(r.message)}</failure>`;
      xml += '</testcase>\n';
    }
    xml += '  </testsuite>\n';
  }
  return `${xml}</testsuites>\n`;
}

function esc(s: string): string {
  // Characters XML 1.0 cannot carry at all are dropped; the five special ones are escaped.
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;')
    .replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
