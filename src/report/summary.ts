import type { Report, Timestamp } from './model.js';
import { durationSeconds, utcDateTime } from './format.js';
import { plural, secs } from './sentences.js';

/** Findings the summary names, most severe first (their kind's sentence, when). */
const NAMED = 2;

const clock = (t: Timestamp) => utcDateTime(t.sec).slice(11);

/**
 * The paragraph a report opens with, made from its facts and findings alone (so the same capture
 * gives the same words): when, how much, how bad, and the worst findings in their own sentences.
 */
export function summaryParagraph(report: Report): string {
  const s = report.summary;
  if (s.firstTs === null || s.lastTs === null) return 'The capture holds no packets.';
  const first = utcDateTime(s.firstTs.sec);
  const last = utcDateTime(s.lastTs.sec);
  const span = durationSeconds(s.firstTs.sec, s.firstTs.nsec, s.lastTs.sec, s.lastTs.nsec);
  const when = first.slice(0, 10) === last.slice(0, 10)
    ? `From ${first.slice(11)} to ${last.slice(11)} UTC on ${first.slice(0, 10)} (${secs(Math.max(0, span))})`
    : `From ${first} to ${last} UTC (${secs(Math.max(0, span))})`;
  const servers = report.servers.rows.length + report.servers.omitted.servers;
  const scale = `${plural(s.connections, 'TCP connection')}${servers ? ` to ${plural(servers, 'server endpoint')}` : ''} in ${plural(s.packets, 'packet')}`;
  const f = report.findings;
  if (f.length === 0) {
    const rest = report.thresholds === null ? 'findings were not looked for'
      : s.abnormal ? `no finding: ${plural(s.abnormal, 'connection')} did not end normally, none past the thresholds` : 'no finding: every connection ended normally or was still open';
    return `${when}: ${scale}; ${rest}.`;
  }
  const by = (sev: string) => f.filter((x) => x.severity === sev).length;
  const counts = [['critical', by('critical')], ['warning', by('warning')], ['info', by('info')]].filter(([, n]) => n)
    .map(([sev, n]) => `${n} ${sev}`).join(', ');
  const serious = f.filter((x) => x.severity !== 'info');
  const named = (serious.length ? serious : f).slice(0, NAMED).map((x) => {
    const at = x.first && x.last ? (x.first.sec === x.last.sec ? `At ${clock(x.first)}` : `From ${clock(x.first)} to ${clock(x.last)}`) : null;
    return at ? `${at}: ${x.summary}` : x.summary;
  });
  const more = f.length > named.length ? ` ${plural(f.length - named.length, 'other finding')} below.` : '';
  return `${when}: ${scale}; ${plural(f.length, 'finding')} (${counts}). ${named.join(' ')}${more}`;
}
