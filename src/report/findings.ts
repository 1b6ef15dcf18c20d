/** The detectors' findings as the report gives them: sorted, each with its sentence, endpoint and evidence lines. */
import { FINDING_KINDS, SEVERITIES, type Finding } from '../detect/index.js';
import { EvidencePrinter } from './evidence.js';
import type { ReportFinding } from './model.js';
import { findingSentence, placeName, type SentenceContext } from './sentences.js';

/** Most severe first; within a severity by kind, then by connections involved, then by endpoint. */
export function reportFindings(findings: readonly Finding[], ctx: SentenceContext): ReportFinding[] {
  const printer = new EvidencePrinter();
  try {
    const out = findings.map((f): ReportFinding => ({
      kind: f.kind,
      severity: f.severity,
      summary: findingSentence(f, ctx),
      endpoint: placeName(f.endpoint),
      connections: f.connections,
      first: f.first,
      last: f.last,
      counts: f.counts,
      evidence: f.evidence.map((e) => ({ packet: e.packet, ts: { sec: e.sec, nsec: e.nsec }, line: printer.line(e), lost: e.lost })),
    }));
    const count = (f: ReportFinding) => (typeof f.counts.connections === 'number' ? f.counts.connections : 0);
    return out.sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
      FINDING_KINDS.indexOf(a.kind) - FINDING_KINDS.indexOf(b.kind) || count(b) - count(a) ||
      (a.endpoint ?? '').localeCompare(b.endpoint ?? ''));
  } finally {
    printer.close();
  }
}
