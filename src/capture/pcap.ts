import { EventEmitter } from 'node:events';
import pcapParser from 'pcap-parser';
import type { GlobalHeader, Packet, PacketHeader } from 'pcap-parser';
import type { PacketBatch, Precision, RecordParser } from './batch.js';
import { CaptureError } from './errors.js';

const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;
/** libpcap's default snap length, used when a header says 0. */
const DEFAULT_SNAPLEN = 262144;
/** No record is believed beyond this, whatever the header says (libpcap's largest, for D-Bus/USB). */
const MAX_SNAPLEN = 256 * 1024 * 1024;

export const PCAP_MAGIC_US_BE = 0xa1b2c3d4;
export const PCAP_MAGIC_US_LE = 0xd4c3b2a1;
export const PCAP_MAGIC_NS_BE = 0xa1b23c4d;
export const PCAP_MAGIC_NS_LE = 0x4d3cb2a1;

/**
 * pcap-parser reads from anything that emits 'data'/'end' and has pause/resume;
 * feeding it synchronously lets us drive it chunk by chunk and pull records as batches.
 */
class ChunkFeed extends EventEmitter {
  pause(): void {}
  resume(): void {}
}

/**
 * Classic libpcap files through pcap-parser. The package knows only the microsecond
 * magic; a nanosecond file is handed to it with the magic rewritten to the microsecond
 * one of the same byte order, and its "microseconds" field read as nanoseconds.
 */
export class PcapParser implements RecordParser {
  readonly format = 'pcap' as const;
  precision: Precision = 'us';
  readonly linkTypes = new Set<number>();
  records = 0;

  private readonly feedStream = new ChunkFeed();
  private header: Buffer | null = Buffer.alloc(0);
  private linkType = 0;
  private snaplen = DEFAULT_SNAPLEN;
  private nanos = false;
  /** Bytes handed to pcap-parser so far, and bytes it has turned into whole records. */
  private fed = 0;
  private consumed = GLOBAL_HEADER;
  private pendingCaplen = -1;
  private failure: CaptureError | null = null;
  private out: PacketBatch | null = null;

  constructor(private readonly file: string) {
    const parser = pcapParser.parse(this.feedStream);
    parser.on('globalHeader', (h: GlobalHeader) => this.onGlobalHeader(h));
    parser.on('packetHeader', (h: PacketHeader) => this.onPacketHeader(h));
    parser.on('packet', (p: Packet) => this.onPacket(p));
    parser.on('error', (e: Error) => {
      this.failure ??= new CaptureError('bad-header', this.file, 0, 0, `pcap: ${e.message}`);
    });
  }

  feed(chunk: Buffer, out: PacketBatch): void {
    if (this.failure) throw this.failure;
    if (this.header) {
      // Hold bytes back until the whole global header is here, so the magic can be checked and patched.
      this.header = this.header.length ? Buffer.concat([this.header, chunk]) : chunk;
      if (this.header.length < GLOBAL_HEADER) return;
      chunk = this.patchMagic(this.header);
      this.header = null;
    }
    this.out = out;
    this.fed += chunk.length;
    this.feedStream.emit('data', chunk);
    this.out = null;
    if (this.failure) throw this.failure;
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

  private patchMagic(head: Buffer): Buffer {
    const magic = head.readUInt32BE(0);
    if (magic === PCAP_MAGIC_NS_BE || magic === PCAP_MAGIC_NS_LE) {
      const copy = Buffer.from(head);
      copy.writeUInt32BE(magic === PCAP_MAGIC_NS_BE ? PCAP_MAGIC_US_BE : PCAP_MAGIC_US_LE, 0);
      this.nanos = true;
      this.precision = 'ns';
      return copy;
    }
    if (magic !== PCAP_MAGIC_US_BE && magic !== PCAP_MAGIC_US_LE) {
      throw new CaptureError('bad-magic', this.file, 0, 0, `pcap: unknown magic number 0x${magic.toString(16).padStart(8, '0')}`);
    }
    return head;
  }

  private onGlobalHeader(h: GlobalHeader): void {
    if (h.majorVersion !== 2) {
      this.failure = new CaptureError('bad-header', this.file, 0, 4, `pcap: unsupported version ${h.majorVersion}.${h.minorVersion}`);
      return;
    }
    // The upper bits of the link-type field carry FCS information (pcap spec, LinkType and additional information).
    this.linkType = h.linkLayerType & 0x0fffffff;
    this.snaplen = h.snapshotLength === 0 ? DEFAULT_SNAPLEN : Math.min(h.snapshotLength, MAX_SNAPLEN);
    this.linkTypes.add(this.linkType);
  }

  private onPacketHeader(h: PacketHeader): void {
    // Checked before pcap-parser starts buffering the record, so a lying length never grows memory.
    if (h.capturedLength > this.snaplen) {
      this.failure ??= new CaptureError('record-too-long', this.file, this.records + 1, this.consumed,
        `pcap: record length ${h.capturedLength} exceeds the snap length ${this.snaplen}`);
      this.pendingCaplen = -1;
      return;
    }
    this.pendingCaplen = h.capturedLength;
  }

  private onPacket(p: Packet): void {
    if (this.failure || !this.out) return;
    const h = p.header;
    const frac = h.timestampMicroseconds;
    this.out.push(p.data, 0, p.data.length, h.timestampSeconds, this.nanos ? frac : frac * 1000,
      h.originalLength < h.capturedLength ? h.capturedLength : h.originalLength, this.linkType, this.consumed, this.consumed + RECORD_HEADER);
    this.records++;
    this.consumed += RECORD_HEADER + h.capturedLength;
    this.pendingCaplen = -1;
  }
}
