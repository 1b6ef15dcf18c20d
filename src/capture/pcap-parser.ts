import { EventEmitter } from 'node:events';
import pcapParser from 'pcap-parser';
import type { Packet, PacketHeader } from 'pcap-parser';
import type { PacketBatch, Precision, RecordParser } from './batch.js';
import { BATCH_RECORDS } from './batch.js';
import { CaptureError } from './errors.js';
import { GLOBAL_HEADER, type PcapHeader, pcapHeader, PCAP_MAGIC_NS_BE, PCAP_MAGIC_US_BE, PCAP_MAGIC_US_LE, RECORD_HEADER } from './pcap.js';

/**
 * pcap-parser reads from anything that emits 'data'/'end' and has pause/resume;
 * feeding it synchronously lets us drive it chunk by chunk and pull records as batches.
 */
class ChunkFeed extends EventEmitter {
  pause(): void {}
  resume(): void {}
}

/** Bytes handed to pcap-parser at once: each record takes at least 16, so one feed adds at most FEED / 16 + 1 records. */
const FEED = 64 * 1024;
const MAX_PER_FEED = FEED / RECORD_HEADER + 1;

/**
 * Classic libpcap files through the pcap-parser package (`--reader pcap-parser`): the reference
 * tcpstate's own reader is tested against, record for record and error for error. The package
 * knows only the microsecond magic; a nanosecond file is handed to it with the magic rewritten to
 * the microsecond one of the same byte order, and its "microseconds" field read as nanoseconds.
 * It hands each record over as an object of its own; their bytes are copied into a buffer the
 * batch points into.
 */
export class PcapParserReader implements RecordParser {
  readonly format = 'pcap' as const;
  precision: Precision = 'us';
  readonly linkTypes = new Set<number>();
  records = 0;
  readonly need = 1;

  private readonly feedStream = new ChunkFeed();
  private header: Uint8Array | null = new Uint8Array(0);
  private facts: PcapHeader | null = null;
  /** Bytes handed to pcap-parser so far, and bytes it has turned into whole records. */
  private fed = 0;
  private consumed = GLOBAL_HEADER;
  private pendingCaplen = -1;
  private failure: CaptureError | null = null;
  private out: PacketBatch | null = null;
  /** The copies of this batch's records. */
  private copies = new Uint8Array(1 << 20);
  private copied = 0;

  constructor(private readonly file: string) {
    const parser = pcapParser.parse(this.feedStream);
    parser.on('packetHeader', (h: PacketHeader) => this.onPacketHeader(h));
    parser.on('packet', (p: Packet) => this.onPacket(p));
    parser.on('error', (e: Error) => {
      this.failure ??= new CaptureError('bad-header', this.file, 0, 0, `pcap: ${e.message}`);
    });
  }

  parse(buf: Uint8Array, pos: number, end: number, _base: number, out: PacketBatch): number {
    if (this.failure) throw this.failure;
    if (out.length === 0) this.copied = 0;
    out.data = this.copies;
    while (pos < end && out.length + MAX_PER_FEED <= BATCH_RECORDS) {
      let chunk = Buffer.from(buf.buffer, buf.byteOffset + pos, Math.min(FEED, end - pos));
      pos += chunk.length;
      if (this.header) {
        // Hold bytes back until the whole global header is here, so the magic can be checked and patched.
        const head: Uint8Array = this.header.length ? Buffer.concat([this.header, chunk]) : Buffer.from(chunk);
        if (head.length < GLOBAL_HEADER) {
          this.header = head;
          continue;
        }
        this.header = null;
        // The same checks as our own reader, so that both refuse a header alike; then pcap-parser reads it.
        this.facts = pcapHeader(this.file, head);
        this.precision = this.facts.nanos ? 'ns' : 'us';
        this.linkTypes.add(this.facts.linkType);
        chunk = Buffer.from(head);
        if (this.facts.nanos) chunk.writeUInt32BE(chunk.readUInt32BE(0) === PCAP_MAGIC_NS_BE ? PCAP_MAGIC_US_BE : PCAP_MAGIC_US_LE, 0);
      }
      this.out = out;
      this.fed += chunk.length;
      // pcap-parser keeps a view of what it was fed until it has parsed it: it gets a copy, not the reader's buffer.
      this.feedStream.emit('data', Buffer.from(chunk));
      this.out = null;
      if (this.failure) throw this.failure;
    }
    return pos;
  }

  finish(): void {
    if (this.failure) throw this.failure;
    if (this.header) {
      throw new CaptureError('truncated', this.file, 0, 0,
        `pcap: file ends after ${this.header.length} bytes, inside the ${GLOBAL_HEADER}-byte file header`);
    }
    if (this.fed !== this.consumed) {
      const have = this.fed - this.consumed;
      const packet = this.records + 1;
      const what = this.pendingCaplen >= 0 && have >= RECORD_HEADER
        ? `record of ${this.pendingCaplen} bytes is cut off after ${have - RECORD_HEADER} bytes`
        : `record header is cut off after ${have} of ${RECORD_HEADER} bytes`;
      throw new CaptureError('truncated', this.file, packet, this.consumed, `pcap: file is truncated: ${what}`);
    }
  }

  private onPacketHeader(h: PacketHeader): void {
    // Checked before pcap-parser starts buffering the record, so a lying length never grows memory.
    if (h.capturedLength > this.facts!.snaplen) {
      this.failure ??= new CaptureError('record-too-long', this.file, this.records + 1, this.consumed,
        `pcap: record length ${h.capturedLength} exceeds the snap length ${this.facts!.snaplen}`);
      this.pendingCaplen = -1;
      return;
    }
    this.pendingCaplen = h.capturedLength;
  }

  private onPacket(p: Packet): void {
    if (this.failure || !this.out) return;
    const h = p.header;
    const frac = h.timestampMicroseconds;
    const len = p.data.length;
    if (this.copied + len > this.copies.length) {
      const bigger = new Uint8Array(Math.max(this.copies.length * 2, this.copied + len));
      bigger.set(this.copies.subarray(0, this.copied));
      this.copies = bigger;
    }
    this.copies.set(p.data, this.copied);
    this.out.data = this.copies;
    this.out.push(this.copied, len, h.timestampSeconds, this.facts!.nanos ? frac : frac * 1000,
      h.originalLength < h.capturedLength ? h.capturedLength : h.originalLength, this.facts!.linkType, this.consumed, this.consumed + RECORD_HEADER);
    this.copied += len;
    this.records++;
    this.consumed += RECORD_HEADER + h.capturedLength;
    this.pendingCaplen = -1;
  }
}
