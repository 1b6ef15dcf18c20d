import { CaptureError } from '../capture/index.js';
import type { Report } from './model.js';

/** What the header of a redacted report says (redactedNote). */
export const REDACTED_NOTE = 'addresses are pseudonyms (--redact) and file names are left out; ports, times and sizes are not hidden';
const REDACTED_PORTS_NOTE = 'addresses and ports are pseudonyms (--redact --redact-ports) and file names are left out; times and sizes are not hidden';

export function redactedNote(report: Report): string {
  return report.redacted === 'ports' ? REDACTED_PORTS_NOTE : REDACTED_NOTE;
}

/**
 * The report's own names for what --redact hides besides addresses (those go through the
 * pseudonyms as they are written): each input's file name becomes "input N", in the damage too.
 */
export function redactReport(report: Report, ports = false): void {
  report.redacted = ports ? 'ports' : 'addresses';
  const names = new Map<string, string>();
  report.inputs.forEach((i, k) => {
    names.set(i.file, `input ${k + 1}`);
    i.file = `input ${k + 1}`;
  });
  const d = report.damage;
  if (d) {
    const name = names.get(d.file) ?? 'input';
    report.damage = new CaptureError(d.code, name, d.packet, d.offset, d.detail);
  }
}
