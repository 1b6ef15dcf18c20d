import { PacketBatch, type Precision, type RecordParser } from './batch.js';
import { type ByteSource, FileBytes, GunzipBytes, PrefixedBytes, StreamBytes } from './bytes.js';
import { CaptureError } from './errors.js';
import { isPcapMagic, PcapReader } from './pcap.js';
import { PcapParserReader } from './pcap-parser.js';
import { PCAPNG_SHB, PcapngReader } from './pcapng.js';

/** Where a capture comes from: a path, `-` for standard input, or any byte stream. */
export type CaptureInput = string | { name: string; stream: AsyncIterable<Uint8Array> | Iterable<Uint8Array> };

/** Which code reads classic pcap: tcpstate's own (the default), or the pcap-parser package it is tested against. */
export type PcapReaderName = 'tcpstate' | 'pcap-parser';
export const PCAP_READERS: readonly PcapReaderName[] = ['tcpstate', 'pcap-parser'];

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

/** The reader's buffer to begin with: large reads, few refills. It grows only for a record larger than itself. */
const BUFFER = 4 << 20;

/**
 * One capture read as a pull stream of packet batches. Bytes are read into one buffer that the
 * records are walked in place in; only the unread tail of a refill is moved, never the whole
 * file held. gzip is recognised by its magic bytes.
 */
export class CaptureSource implements Source {
  readonly info: InputInfo;
  readonly batch = new PacketBatch();
  private bytes: ByteSource | null = null;
  private parser: RecordParser | null = null;
  private buf: Uint8Array;
  private pos = 0;
  private end = 0;
  /** Stream offset of buf[0]. */
  private base = 0;
  private eof = false;
  private done = false;
  /** Damage met after some records of a batch: thrown once those records are out. */
  private failed: CaptureError | null = null;
  /** A file that can be read again by offset (known not to be gzip after the first bytes). */
  private path: string | null;

  constructor(private readonly input: CaptureInput, private readonly reader: PcapReaderName = 'tcpstate', bufferSize = BUFFER) {
    const name = typeof input === 'string' ? input : input.name;
    this.path = typeof input === 'string' && input !== '-' ? input : null;
    this.info = { file: name, format: 'unknown', compressed: false, precision: 'us', linkTypes: [], packets: 0 };
    this.buf = new Uint8Array(bufferSize);
  }

  /** Refills `batch` with the next records; returns false at the end of the capture. */
  async next(): Promise<boolean> {
    const batch = this.batch;
    batch.clear();
    if (this.failed !== null) throw this.failed;
    if (this.done) return false;
    try {
      for (;;) {
        if (this.parser !== null) {
          batch.data = this.buf;
          try {
            this.pos = this.parser.parse(this.buf, this.pos, this.end, this.base, batch);
          } catch (e) {
            // The records read before the damage go out first; the error on the next call.
            if (batch.length === 0 || !(e instanceof CaptureError)) throw e;
            this.failed = e;
          }
          this.sync();
          if (batch.length > 0) return true;
          if (this.eof) {
            this.done = true;
            this.parser.finish(this.end - this.pos, this.base + this.pos);
            return false;
          }
        }
        await this.refill();
        if (this.parser === null && !this.start()) return false;
      }
    } catch (e) {
      this.close();
      throw this.ioError(e);
    }
  }

  close(): void {
    this.done = true;
    this.bytes?.close();
  }

  /** Moves the unread tail to the front and reads until the parser has what it needs, or the input ends. */
  private async refill(): Promise<void> {
    if (this.bytes === null) this.bytes = await this.open();
    const need = this.parser?.need ?? 4;
    if (this.pos > 0) {
      this.buf.copyWithin(0, this.pos, this.end);
      this.base += this.pos;
      this.end -= this.pos;
      this.pos = 0;
    }
    if (need > this.buf.length) {
      let size = this.buf.length;
      while (size < need) size *= 2;
      const bigger = new Uint8Array(size);
      bigger.set(this.buf.subarray(0, this.end));
      this.buf = bigger;
    }
    do {
      const r = this.bytes.read(this.buf, this.end, this.buf.length - this.end);
      const n = typeof r === 'number' ? r : await r;
      if (n === 0) {
        this.eof = true;
        return;
      }
      this.end += n;
    } while (this.end < need);
  }

  /** Opens the input and looks through gzip: the first bytes the parser sees are the capture's own. */
  private async open(): Promise<ByteSource> {
    const input = this.input;
    let raw: ByteSource = typeof input !== 'string' ? new StreamBytes(input.stream)
      : input === '-' ? new StreamBytes(process.stdin) : new FileBytes(input);
    const head = new Uint8Array(4);
    let got = 0;
    while (got < 4) {
      const r = raw.read(head, got, 4 - got);
      const n = typeof r === 'number' ? r : await r;
      if (n === 0) break;
      got += n;
    }
    raw = new PrefixedBytes(head.subarray(0, got), raw);
    if (got >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
      this.info.compressed = true;
      this.path = null;
      return new GunzipBytes(raw);
    }
    return raw;
  }

  /** Picks the parser by the magic number; false for an empty input. */
  private start(): boolean {
    const have = this.end - this.pos;
    const name = this.info.file;
    if (have === 0) throw new CaptureError('empty', name, 0, 0, 'file is empty');
    if (have < 4) throw new CaptureError('truncated', name, 0, 0, `file is only ${have} bytes long`);
    const b = this.buf;
    const magic = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
    if (isPcapMagic(magic)) {
      this.parser = this.reader === 'pcap-parser' ? new PcapParserReader(name) : new PcapReader(name);
    } else if ((b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0 === PCAPNG_SHB) {
      this.parser = new PcapngReader(name);
    } else {
      throw new CaptureError('bad-magic', name, 0, 0, `not a pcap, pcapng or gzip file (magic 0x${magic.toString(16).padStart(8, '0')})`);
    }
    this.info.format = this.parser.format;
    this.batch.path = this.path;
    return true;
  }

  private sync(): void {
    const p = this.parser!;
    this.info.precision = p.precision;
    this.info.packets = p.records;
    if (p.linkTypes.size !== this.info.linkTypes.length) this.info.linkTypes = [...p.linkTypes];
  }

  private ioError(e: unknown): CaptureError {
    if (e instanceof CaptureError) return e;
    const err = e as NodeJS.ErrnoException;
    const records = this.parser ? this.parser.records : 0;
    if (err && typeof err.code === 'string' && err.code.startsWith('Z_')) {
      return new CaptureError('gzip', this.info.file, records + 1, 0, `gzip: ${err.message}`);
    }
    return new CaptureError('open', this.info.file, 0, 0, err?.message ?? String(e));
  }
}
