/**
 * Packet records in struct-of-arrays form, reused from one read to the next. Record i is
 * bytes `start[i]` to `start[i] + caplen[i]` of `data[i]`, an array the reader shares among
 * many records: valid until the batch is refilled.
 */
const EMPTY = new Uint8Array(0);

export class PacketBatch {
  length = 0;
  readonly data: Uint8Array[] = [];
  readonly start: number[] = [];
  readonly caplen: number[] = [];
  readonly sec: number[] = [];
  readonly nsec: number[] = [];
  readonly origLen: number[] = [];
  readonly linkType: number[] = [];
  /** Byte offset of the record in its capture stream (for error messages). */
  readonly offset: number[] = [];
  /** Byte offset of the packet's own bytes in the capture stream. */
  readonly dataOffset: number[] = [];
  /** The file the records come from when their bytes can be read again at dataOffset (not stdin, not gzip), else null. */
  path: string | null = null;

  push(data: Uint8Array, start: number, caplen: number, sec: number, nsec: number, origLen: number, linkType: number, offset: number, dataOffset: number): void {
    const i = this.length++;
    this.data[i] = data;
    this.start[i] = start;
    this.caplen[i] = caplen;
    this.sec[i] = sec;
    this.nsec[i] = nsec;
    this.origLen[i] = origLen;
    this.linkType[i] = linkType;
    this.offset[i] = offset;
    this.dataOffset[i] = dataOffset;
  }

  /** Forgets the records' bytes too, so that no old chunk stays reachable (and promoted) through a stale slot. */
  clear(): void {
    const data = this.data;
    for (let i = 0; i < this.length; i++) data[i] = EMPTY;
    this.length = 0;
  }
}

/** A push parser for one capture file format: fed raw chunks, appends whole records. */
export interface RecordParser {
  readonly format: 'pcap' | 'pcapng';
  /** Timestamp precision of the file: 's', 'ms', 'us' or 'ns'. */
  readonly precision: Precision;
  /** Link types seen so far (pcapng files may have several interfaces). */
  readonly linkTypes: ReadonlySet<number>;
  /** Number of records parsed so far. */
  readonly records: number;
  feed(chunk: Buffer, out: PacketBatch): void;
  /** Called at end of input; throws CaptureError when the stream stopped inside a structure. */
  finish(): void;
}

export type Precision = 's' | 'ms' | 'us' | 'ns';

export function precisionDigits(p: Precision): number {
  return p === 's' ? 0 : p === 'ms' ? 3 : p === 'us' ? 6 : 9;
}

/** The finer of two precisions. */
export function finerPrecision(a: Precision, b: Precision): Precision {
  return precisionDigits(b) > precisionDigits(a) ? b : a;
}
