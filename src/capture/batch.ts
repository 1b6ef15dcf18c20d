/**
 * Packet records in struct-of-arrays form, reused from one read to the next. Record i is bytes
 * `start[i]` to `start[i] + caplen[i]` of `data`, the reader's buffer, which all records of the
 * batch share: valid until the batch is refilled. No object is made per record.
 */
export const BATCH_RECORDS = 8192;

const EMPTY = new Uint8Array(0);

/** The arrays of a batch, when they are to lie elsewhere (in memory shared between threads). */
export interface BatchArrays {
  start: Int32Array;
  caplen: Int32Array;
  sec: Float64Array;
  nsec: Float64Array;
  origLen: Float64Array;
  linkType: Int32Array;
  offset: Float64Array;
  dataOffset: Float64Array;
}

export class PacketBatch {
  length = 0;
  /** The bytes every record of the batch points into. */
  data: Uint8Array = EMPTY;
  readonly start: Int32Array;
  readonly caplen: Int32Array;
  readonly sec: Float64Array;
  /** Nanoseconds as the file gives them (a damaged pcap record can say a million microseconds or more). */
  readonly nsec: Float64Array;
  readonly origLen: Float64Array;
  readonly linkType: Int32Array;
  /** Byte offset of the record in its capture stream (for error messages and progress). */
  readonly offset: Float64Array;
  /** Byte offset of the packet's own bytes in the capture stream. */
  readonly dataOffset: Float64Array;

  constructor(arrays?: BatchArrays) {
    const n = BATCH_RECORDS;
    this.start = arrays?.start ?? new Int32Array(n);
    this.caplen = arrays?.caplen ?? new Int32Array(n);
    this.sec = arrays?.sec ?? new Float64Array(n);
    this.nsec = arrays?.nsec ?? new Float64Array(n);
    this.origLen = arrays?.origLen ?? new Float64Array(n);
    this.linkType = arrays?.linkType ?? new Int32Array(n);
    this.offset = arrays?.offset ?? new Float64Array(n);
    this.dataOffset = arrays?.dataOffset ?? new Float64Array(n);
  }
  /** The file the records come from when their bytes can be read again at dataOffset (not stdin, not gzip), else null. */
  path: string | null = null;

  get full(): boolean {
    return this.length === BATCH_RECORDS;
  }

  push(start: number, caplen: number, sec: number, nsec: number, origLen: number, linkType: number, offset: number, dataOffset: number): void {
    const i = this.length++;
    this.start[i] = start;
    this.caplen[i] = caplen;
    this.sec[i] = sec;
    this.nsec[i] = nsec;
    this.origLen[i] = origLen;
    this.linkType[i] = linkType;
    this.offset[i] = offset;
    this.dataOffset[i] = dataOffset;
  }

  clear(): void {
    this.length = 0;
  }
}

/**
 * A parser for one capture file format over the reader's buffer: it walks whole records from
 * `pos` in place, appending them to the batch, and returns where it stopped (at a record it does
 * not have all of, or when the batch is full). It throws CaptureError at damage, after the records before it.
 */
export interface RecordParser {
  readonly format: 'pcap' | 'pcapng';
  /** Timestamp precision of the file: 's', 'ms', 'us' or 'ns'. */
  readonly precision: Precision;
  /** Link types seen so far (pcapng files may have several interfaces). */
  readonly linkTypes: ReadonlySet<number>;
  /** Number of records parsed so far. */
  readonly records: number;
  /** `base` is the stream offset of buf[0]; the records' bytes stay in `buf`. */
  parse(buf: Uint8Array, pos: number, end: number, base: number, out: PacketBatch): number;
  /** Bytes needed from the position parse() returned before it can go on (at least 1). */
  readonly need: number;
  /** Called at end of input with the bytes left unparsed; throws CaptureError when the stream stopped inside a structure. */
  finish(left: number, at: number): void;
}

export type Precision = 's' | 'ms' | 'us' | 'ns';

export function precisionDigits(p: Precision): number {
  return p === 's' ? 0 : p === 'ms' ? 3 : p === 'us' ? 6 : 9;
}

/** The finer of two precisions. */
export function finerPrecision(a: Precision, b: Precision): Precision {
  return precisionDigits(b) > precisionDigits(a) ? b : a;
}
