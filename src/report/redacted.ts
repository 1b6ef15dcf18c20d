import { CaptureError } from '../capture/index.js';
import type { Report } from './model.js';

/** What the header of a redacted report says. */
export const REDACTED_NOTE = 'addresses are pseudonyms (--redact) and file names are left out; ports, times and sizes are not hidden';

/**
 * The report's own names for what --redact hides besides addresses (those go through the
 * pseudonyms as they are written): each input's file name becomes "input N", in the damage too.
 */
export function redactReport(report: Report): void {
  report.redacted = true;
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
