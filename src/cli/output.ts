import { closeSync, openSync, writeSync } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';

/** Bytes gathered before a write. */
const BLOCK = 65536;

/**
 * Where a command's output goes: the file of -o, or standard output, written in blocks of about
 * 64 KiB. pour() waits whenever standard output is full; write() (for print's lines, which come
 * while a capture is read) does not.
 */
export class Output {
  private readonly fd: number;
  private block = '';

  constructor(file: string | undefined, private readonly stdout: Writable) {
    this.fd = file === undefined ? -1 : openSync(file, 'w');
  }

  write(s: string): void {
    this.block += s;
    if (this.block.length >= BLOCK) this.put();
  }

  async pour(chunks: Iterable<string>): Promise<void> {
    for (const c of chunks) {
      this.block += c;
      if (this.block.length >= BLOCK && !this.put()) await once(this.stdout, 'drain');
    }
  }

  /** Writes what is gathered and closes the file. */
  close(): void {
    if (this.block) this.put();
    if (this.fd >= 0) closeSync(this.fd);
  }

  /** Writes the block; false when standard output asks to wait. */
  private put(): boolean {
    const b = this.block;
    this.block = '';
    if (this.fd >= 0) {
      writeSync(this.fd, b);
      return true;
    }
    return this.stdout.write(b);
  }
}
