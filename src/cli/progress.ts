import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { groupDigits } from '../digits.js';

/**
 * A progress line on standard error for runs longer than a second: packets, packets/s, and the
 * share done with an ETA when the input's size is known. Redrawn at most five times a second
 * and erased when the run ends, so that it never mixes with the report.
 */
export class Progress {
  private readonly start: number;
  private last = 0;
  private shown = false;

  constructor(private readonly out: Writable, private readonly totalBytes: number | null,
    private readonly now: () => number = () => performance.now(), private readonly afterMs = 1000) {
    this.start = now();
  }

  update(packets: number, bytes: number): void {
    const t = this.now();
    const elapsed = t - this.start;
    if (elapsed < this.afterMs || t - this.last < 200) return;
    this.last = t;
    const rate = Math.round(packets / (elapsed / 1000));
    let line = `tcpstate: ${groupDigits(packets)} packets, ${groupDigits(rate)} packets/s`;
    if (this.totalBytes !== null && this.totalBytes > 0 && bytes > 0) {
      const share = Math.min(1, bytes / this.totalBytes);
      const eta = (elapsed / 1000) * (1 / share - 1);
      line += `, ${Math.floor(share * 100)}%, about ${eta < 60 ? `${Math.ceil(eta)} s` : `${Math.ceil(eta / 60)} min`} left`;
    }
    this.out.write(`\r${line}\x1b[K`);
    this.shown = true;
  }

  /** Erases the line, if one was drawn. */
  done(): void {
    if (this.shown) this.out.write('\r\x1b[K');
    this.shown = false;
  }
}

/** A progress line only for a person watching: standard error a terminal, not --quiet, not under CI. */
export function showProgress(stderr: Writable, quiet: boolean): boolean {
  return !quiet && (stderr as { isTTY?: boolean }).isTTY === true && !process.env.CI;
}

/** The inputs' total size when every one is a plain file (an ETA needs it); null otherwise. */
export function totalBytes(captures: readonly string[]): number | null {
  let total = 0;
  for (const c of captures) {
    if (c === '-') return null;
    try {
      const fd = openSync(c, 'r');
      const magic = Buffer.alloc(2);
      readSync(fd, magic, 0, 2, 0);
      closeSync(fd);
      // Offsets of a gzip file are counted in its decompressed bytes: no share of the file size to show.
      if (magic[0] === 0x1f && magic[1] === 0x8b) return null;
      total += statSync(c).size;
    } catch {
      return null;
    }
  }
  return total;
}
