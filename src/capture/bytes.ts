import { closeSync, openSync, readSync } from 'node:fs';
import { createGunzip, type Gunzip } from 'node:zlib';

/**
 * Where a capture's bytes come from: a file read in place (synchronously: from the page cache
 * that is a copy, and cheaper than a promise per read), or a stream whose chunks are copied in.
 * The only Node-specific I/O of the reader.
 */
export interface ByteSource {
  /** Reads up to `length` bytes into `into` at `at`; 0 at the end of the input. */
  read(into: Uint8Array, at: number, length: number): number | Promise<number>;
  close(): void;
}

export class FileBytes implements ByteSource {
  private fd = -1;
  private done = false;

  constructor(private readonly path: string) {}

  read(into: Uint8Array, at: number, length: number): number {
    if (this.done) return 0;
    if (this.fd < 0) this.fd = openSync(this.path, 'r');
    const n = readSync(this.fd, into, at, length, null);
    if (n === 0) this.close();
    return n;
  }

  close(): void {
    this.done = true;
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/** Chunks of an async stream (standard input, a stream given by a library user), copied as asked for. */
export class StreamBytes implements ByteSource {
  private readonly chunks: AsyncIterator<Uint8Array> | Iterator<Uint8Array>;
  private chunk: Uint8Array | null = null;
  private pos = 0;
  private done = false;

  constructor(stream: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) {
    this.chunks = Symbol.asyncIterator in stream ? stream[Symbol.asyncIterator]() : stream[Symbol.iterator]();
  }

  read(into: Uint8Array, at: number, length: number): number | Promise<number> {
    if (this.chunk !== null) return this.copy(into, at, length);
    if (this.done) return 0;
    return this.pull(into, at, length);
  }

  private async pull(into: Uint8Array, at: number, length: number): Promise<number> {
    for (;;) {
      const r = await this.chunks.next();
      if (r.done) {
        this.done = true;
        return 0;
      }
      if (r.value.length === 0) continue;
      this.chunk = r.value;
      this.pos = 0;
      return this.copy(into, at, length);
    }
  }

  private copy(into: Uint8Array, at: number, length: number): number {
    const c = this.chunk!;
    const n = Math.min(length, c.length - this.pos);
    into.set(n === c.length ? c : c.subarray(this.pos, this.pos + n), at);
    this.pos += n;
    if (this.pos === c.length) this.chunk = null;
    return n;
  }

  close(): void {
    this.done = true;
    this.chunk = null;
    void this.chunks.return?.(undefined);
  }
}

/** The first bytes, already read to recognise the format, then the rest. */
export class PrefixedBytes implements ByteSource {
  private pos = 0;

  constructor(private readonly prefix: Uint8Array, private readonly rest: ByteSource) {}

  read(into: Uint8Array, at: number, length: number): number | Promise<number> {
    if (this.pos < this.prefix.length) {
      const n = Math.min(length, this.prefix.length - this.pos);
      into.set(this.prefix.subarray(this.pos, this.pos + n), at);
      this.pos += n;
      return n;
    }
    return this.rest.read(into, at, length);
  }

  close(): void {
    this.rest.close();
  }
}

/** Compressed input read through as much as `length` at a time. */
const GZIP_READ = 1 << 20;

/**
 * gzip, inflated by Node's zlib: its streaming inflate runs on libuv's thread pool, so the
 * reader's thread only copies the output in while the next piece is being inflated.
 */
export class GunzipBytes implements ByteSource {
  private readonly out: StreamBytes;
  private readonly gunzip: Gunzip;

  constructor(private readonly raw: ByteSource) {
    this.gunzip = createGunzip({ chunkSize: 1 << 20 });
    const gunzip = this.gunzip;
    void (async () => {
      const buf = new Uint8Array(GZIP_READ);
      try {
        for (;;) {
          const n = await raw.read(buf, 0, GZIP_READ);
          if (n === 0) break;
          if (!gunzip.write(Buffer.from(buf.subarray(0, n)))) await new Promise((resolve) => gunzip.once('drain', resolve));
        }
        gunzip.end();
      } catch (e) {
        gunzip.destroy(e as Error);
      }
    })();
    this.out = new StreamBytes(gunzip);
  }

  read(into: Uint8Array, at: number, length: number): number | Promise<number> {
    return this.out.read(into, at, length);
  }

  close(): void {
    this.out.close();
    this.gunzip.destroy();
    this.raw.close();
  }
}
