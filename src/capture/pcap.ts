import type { PacketBatch, Precision, RecordParser } from './batch.js';
import { CaptureError } from './errors.js';

export const GLOBAL_HEADER = 24;
export const RECORD_HEADER = 16;
/** libpcap's default snap length, used when a header says 0. */
export const DEFAULT_SNAPLEN = 262144;
/** No record is believed beyond this, whatever the header says (libpcap's largest, for D-Bus/USB). */
export const MAX_SNAPLEN = 256 * 1024 * 1024;

export const PCAP_MAGIC_US_BE = 0xa1b2c3d4;
export const PCAP_MAGIC_US_LE = 0xd4c3b2a1;
export const PCAP_MAGIC_NS_BE = 0xa1b23c4d;
export const PCAP_MAGIC_NS_LE = 0x4d3cb2a1;

/** Whether the first four bytes (read big-endian) are a classic pcap magic. */
export function isPcapMagic(magic: number): boolean {
  return magic === PCAP_MAGIC_US_BE || magic === PCAP_MAGIC_US_LE || magic === PCAP_MAGIC_NS_BE || magic === PCAP_MAGIC_NS_LE;
}

/** The facts of a classic pcap file header, or the CaptureError it deserves. */
export interface PcapHeader {
  littleEndian: boolean;
  nanos: boolean;
  linkType: number;
  snaplen: number;
}

/** Reads the 24-byte file header at buf[0..24) (pcap-savefile(5)); both readers share it. */
export function pcapHeader(file: string, buf: Uint8Array): PcapHeader {
  const magic = ((buf[0]! << 24) | (buf[1]! << 16) | (buf[2]! << 8) | buf[3]!) >>> 0;
  if (!isPcapMagic(magic)) {
    throw new CaptureError('bad-magic', file, 0, 0, `pcap: unknown magic number 0x${magic.toString(16).padStart(8, '0')}`);
  }
  const le = magic === PCAP_MAGIC_US_LE || magic === PCAP_MAGIC_NS_LE;
  const u16 = (o: number) => (le ? buf[o]! | (buf[o + 1]! << 8) : (buf[o]! << 8) | buf[o + 1]!);
  const u32 = (o: number) => (le ? u32le(buf, o) : u32be(buf, o));
  const major = u16(4);
  if (major !== 2) {
    throw new CaptureError('bad-header', file, 0, 4, `pcap: unsupported version ${major}.${u16(6)}`);
  }
  const snap = u32(16);
  return {
    littleEndian: le,
    nanos: magic === PCAP_MAGIC_NS_BE || magic === PCAP_MAGIC_NS_LE,
    // The upper bits of the link-type field carry FCS information (pcap spec, LinkType and additional information).
    linkType: u32(20) & 0x0fffffff,
    snaplen: snap === 0 ? DEFAULT_SNAPLEN : Math.min(snap, MAX_SNAPLEN),
  };
}

export function u32le(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

export function u32be(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/**
 * Classic libpcap files (pcap-savefile(5)), either byte order, microsecond or nanosecond magic:
 * record headers are read where they lie in the reader's buffer and the records appended to
 * the batch as offsets into it; nothing is copied and no object is made per record.
 */
export class PcapReader implements RecordParser {
  readonly format = 'pcap' as const;
  precision: Precision = 'us';
  readonly linkTypes = new Set<number>();
  records = 0;
  need = GLOBAL_HEADER;

  private header: PcapHeader | null = null;
  private le = true;
  private nsecPerUnit = 1000;
  private linkType = 0;
  private snaplen = DEFAULT_SNAPLEN;

  constructor(private readonly file: string) {}

  parse(buf: Uint8Array, pos: number, end: number, base: number, out: PacketBatch): number {
    if (this.header === null) {
      if (end - pos < GLOBAL_HEADER) return pos;
      const h = pcapHeader(this.file, pos === 0 ? buf : buf.subarray(pos));
      this.header = h;
      this.le = h.littleEndian;
      this.nsecPerUnit = h.nanos ? 1 : 1000;
      this.precision = h.nanos ? 'ns' : 'us';
      this.linkType = h.linkType;
      this.snaplen = h.snaplen;
      this.linkTypes.add(h.linkType);
      pos += GLOBAL_HEADER;
    }
    const le = this.le;
    const snaplen = this.snaplen;
    const unit = this.nsecPerUnit;
    const linkType = this.linkType;
    while (end - pos >= RECORD_HEADER) {
      if (out.full) {
        this.need = 1;
        return pos;
      }
      const caplen = le ? u32le(buf, pos + 8) : u32be(buf, pos + 8);
      if (caplen > snaplen) {
        // Checked before the record is waited for, so that a lying length never grows the buffer.
        throw new CaptureError('record-too-long', this.file, this.records + 1, base + pos,
          `pcap: record length ${caplen} exceeds the snap length ${snaplen}`);
      }
      if (end - pos - RECORD_HEADER < caplen) {
        this.need = RECORD_HEADER + caplen;
        return pos;
      }
      const sec = le ? u32le(buf, pos) : u32be(buf, pos);
      const frac = le ? u32le(buf, pos + 4) : u32be(buf, pos + 4);
      const orig = le ? u32le(buf, pos + 12) : u32be(buf, pos + 12);
      out.push(pos + RECORD_HEADER, caplen, sec, frac * unit, orig < caplen ? caplen : orig, linkType, base + pos, base + pos + RECORD_HEADER);
      this.records++;
      pos += RECORD_HEADER + caplen;
    }
    this.need = RECORD_HEADER;
    return pos;
  }

  finish(left: number, at: number): void {
    if (left === 0) return;
    if (this.header === null) {
      throw new CaptureError('truncated', this.file, 0, 0,
        `pcap: file ends after ${left} bytes, inside the ${GLOBAL_HEADER}-byte file header`);
    }
    const what = left >= RECORD_HEADER
      ? `record of ${this.need - RECORD_HEADER} bytes is cut off after ${left - RECORD_HEADER} bytes`
      : `record header is cut off after ${left} of ${RECORD_HEADER} bytes`;
    throw new CaptureError('truncated', this.file, this.records + 1, at, `pcap: file is truncated: ${what}`);
  }
}
