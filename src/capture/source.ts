import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { PacketBatch, type Precision, type RecordParser } from './batch.js';
import { CaptureError } from './errors.js';
import { PCAP_MAGIC_NS_BE, PCAP_MAGIC_NS_LE, PCAP_MAGIC_US_BE, PCAP_MAGIC_US_LE, PcapParser } from './pcap.js';
import { PCAPNG_SHB, PcapngParser } from './pcapng.js';

const READ_CHUNK = 1 << 20;

/** Where a capture comes from: a path, `-` for standard input, or any byte stream. */
export type CaptureInput = string | { name: string; stream: AsyncIterable<Buffer> };

/** Facts about one input, filled in while it is read. */
export interface InputInfo {
  file: string;
  format: 'pcap' | 'pcapng' | 'unknown';
  compressed: boolean;
  precision: Precision;
  linkTypes: number[];
  packets: number;
}

/** Where readCaptures pulls records from: refills `batch`, false at the end. */
export interface Source {
  readonly info: InputInfo;
  readonly batch: PacketBatch;
  next(): Promise<boolean>;
  /** Stops reading early (an error elsewhere); a no-op once finished. */
  close(): void;
}

/**
 * One capture file read as a pull stream of packet batches. Bytes are streamed
 * (never the whole file in memory); gzip is recognised by its magic bytes.
 */
export class CaptureSource implements Source {
  readonly info: InputInfo;
  private readonly chunks: AsyncIterator<Buffer>;
  private parser: RecordParser | null = null;
  private done = false;
  /** Damage met after some records of the last chunk: thrown once those records are out. */
  private failed: CaptureError | null = null;
  readonly batch = new PacketBatch();
  /** A file that can be read again by offset (gzip, known after the first chunk, cannot). */
  private readonly path: string | null;

  constructor(input: CaptureInput) {
    const name = typeof input === 'string' ? input : input.name;
    this.path = typeof input === 'string' && input !== '-' ? input : null;
    this.info = { file: name, format: 'unknown', compressed: false, precision: 'us', linkTypes: [], packets: 0 };
    this.chunks = decompressed(rawChunks(input), name, this.info)[Symbol.asyncIterator]();
  }

  /** Refills `batch` with the next records; returns false at the end of the capture. */
  async next(): Promise<boolean> {
    const batch = this.batch;
    batch.clear();
    if (this.failed !== null) throw this.failed;
    while (batch.length === 0) {
      if (this.done) return false;
      let r: IteratorResult<Buffer>;
      try {
        r = await this.chunks.next();
      } catch (e) {
        throw this.ioError(e);
      }
      if (r.done) {
        this.done = true;
        if (!this.parser) throw new CaptureError('empty', this.info.file, 0, 0, 'file is empty');
        this.parser.finish();
        this.sync();
        return false;
      }
      const parser = this.parser ?? this.sniff(r.value);
      batch.path = this.info.compressed ? null : this.path;
      try {
        parser.feed(r.value, batch);
      } catch (e) {
        // The records read before the damage in this chunk go out first; the error on the next call.
        if (batch.length === 0 || !(e instanceof CaptureError)) throw e;
        this.failed = e;
      }
      this.sync();
    }
    return true;
  }

  close(): void {
    this.done = true;
    void this.chunks.return?.(undefined);
  }

  private sniff(head: Buffer): RecordParser {
    if (head.length < 4) throw new CaptureError('truncated', this.info.file, 0, 0, `file is only ${head.length} bytes long`);
    const magic = head.readUInt32BE(0);
    if (magic === PCAP_MAGIC_US_BE || magic === PCAP_MAGIC_US_LE || magic === PCAP_MAGIC_NS_BE || magic === PCAP_MAGIC_NS_LE) {
      this.parser = new PcapParser(this.info.file);
    } else if (head.readUInt32LE(0) === PCAPNG_SHB) {
      this.parser = new PcapngParser(this.info.file);
    } else {
      throw new CaptureError('bad-magic', this.info.file, 0, 0,
        `not a pcap, pcapng or gzip file (magic 0x${magic.toString(16).padStart(8, '0')})`);
    }
    this.info.format = this.parser.format;
    return this.parser;
  }

  private sync(): void {
    const p = this.parser;
    if (!p) return;
    this.info.precision = p.precision;
    this.info.packets = p.records;
    if (p.linkTypes.size !== this.info.linkTypes.length) this.info.linkTypes = [...p.linkTypes];
  }

  private ioError(e: unknown): CaptureError {
    if (e instanceof CaptureError) return e;
    const err = e as NodeJS.ErrnoException;
    const offset = this.parser ? this.parser.records : 0;
    if (err && typeof err.code === 'string' && err.code.startsWith('Z_')) {
      return new CaptureError('gzip', this.info.file, offset + 1, 0, `gzip: ${err.message}`);
    }
    return new CaptureError('open', this.info.file, 0, 0, err?.message ?? String(e));
  }
}

async function* rawChunks(input: CaptureInput): AsyncGenerator<Buffer> {
  if (typeof input !== 'string') {
    yield* input.stream;
    return;
  }
  const stream: Readable = input === '-' ? process.stdin : createReadStream(input, { highWaterMark: READ_CHUNK });
  for await (const chunk of stream) yield chunk as Buffer;
}

/** Yields at least 4 bytes in the first chunk so that magic numbers can be read from it. */
async function* decompressed(raw: AsyncGenerator<Buffer>, name: string, info: InputInfo): AsyncGenerator<Buffer> {
  let head: Buffer = Buffer.alloc(0);
  for (;;) {
    const r = await raw.next();
    if (r.done) break;
    head = head.length ? Buffer.concat([head, r.value]) : r.value;
    if (head.length >= 4) break;
  }
  if (head.length === 0) return;
  if (head.length < 4) {
    throw new CaptureError('truncated', name, 0, 0, `file is only ${head.length} bytes long`);
  }
  if (head[0] !== 0x1f || head[1] !== 0x8b) {
    yield head;
    yield* raw;
    return;
  }
  info.compressed = true;
  const gunzip = createGunzip({ chunkSize: READ_CHUNK });
  const compressed = Readable.from((async function* () {
    yield head;
    yield* raw;
  })());
  compressed.on('error', (e) => gunzip.destroy(e));
  compressed.pipe(gunzip);
  let first: Buffer | null = Buffer.alloc(0) as Buffer;
  for await (const chunk of gunzip) {
    const c = chunk as Buffer;
    if (first) {
      first = first.length ? Buffer.concat([first, c]) : c;
      if (first.length < 4) continue;
      yield first;
      first = null;
    } else {
      yield c;
    }
  }
  if (first && first.length) yield first;
}
