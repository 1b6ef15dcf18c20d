import { CaptureError, type CaptureInput, finerPrecision, type InputInfo, type PacketBatch, type PcapReaderName, type Precision, readCaptures, type RecordSink } from '../capture/index.js';

/** What a pass over the captures hands each record: its packet number, 1 for the first of the merged capture. */
export interface PacketSink {
  packet(batch: PacketBatch, i: number, n: number, source: number): void;
  /** A single input's batches whole, in place of packet() per record (`first`: the packet number of its first record). */
  batch?(batch: PacketBatch, source: number, first: number): void;
}

export interface DriveOptions {
  reader?: PcapReaderName;
  /** Called every 65,536 packets with the packets read and the bytes read of the inputs so far (for a progress line). */
  onProgress?: ((packets: number, bytes: number) => void) | null;
  /** Run before an error other than damage is thrown on (worker threads to stop). */
  abort?: () => Promise<void>;
}

/** What a pass read: the records' count and span, each input's facts, and the damage that stopped it, if any. */
export interface Pass {
  reading: Reading;
  infos: InputInfo[];
  /** The finest timestamp precision among the inputs. */
  precision: Precision;
  /** Why reading stopped early; everything before it was handed on. */
  damage: CaptureError | null;
}

/**
 * One pass over the captures, merged by timestamp: every record counted, numbered and handed to
 * `sink`. Damage ends the pass and is returned with what came before it (the report of a broken
 * capture is the report of everything before the break); any other error is thrown.
 * analyze, print and show are built on it.
 */
export async function drive(inputs: readonly CaptureInput[], sink: PacketSink, options: DriveOptions = {}): Promise<Pass> {
  const reading = new Reading(options.onProgress ?? null);
  const infos: InputInfo[] = [];
  let damage: CaptureError | null = null;
  const records: RecordSink = {
    record(batch, i, source) {
      sink.packet(batch, i, reading.record(batch, i, source), source);
    },
  };
  // Only a sink that takes batches is given them (readCaptures looks for the method).
  if (sink.batch !== undefined) records.batch = (batch, source) => sink.batch!(batch, source, reading.batch(batch, source));
  try {
    await readCaptures(inputs, records, infos, options.reader ?? 'tcpstate');
  } catch (e) {
    if (!(e instanceof CaptureError)) {
      await options.abort?.();
      throw e;
    }
    damage = e;
  }
  const precision = infos.length ? infos.reduce<Precision>((p, i) => finerPrecision(p, i.precision), 's') : 'us';
  return { reading, infos, precision, damage };
}

/** What is counted of every record, whatever it holds: packet numbers, the time span, progress. */
export class Reading {
  packets = 0;
  firstSec = Infinity;
  firstNsec = 0;
  lastSec = -Infinity;
  lastNsec = 0;
  /** How far each input has been read, for progress. */
  private readonly offsets: number[] = [];

  constructor(private readonly onProgress: ((packets: number, bytes: number) => void) | null) {}

  /** When the capture's last packet was, 0 without one. */
  get endTime(): number {
    return this.packets ? this.lastSec + this.lastNsec * 1e-9 : 0;
  }

  /** Counts a whole batch (of a single input); returns the packet number of its first record. */
  batch(batch: PacketBatch, source: number): number {
    const first = this.packets + 1;
    const n = batch.length;
    if (n === 0) return first;
    const before = this.packets;
    this.packets += n;
    if (this.onProgress !== null && (before >>> 16) !== (this.packets >>> 16)) this.progress(batch.offset[n - 1]!, source);
    const secs = batch.sec;
    const nsecs = batch.nsec;
    for (let i = 0; i < n; i++) this.see(secs[i]!, nsecs[i]!);
    return first;
  }

  /** Counts record i of `batch` and returns its packet number. */
  record(batch: PacketBatch, i: number, source: number): number {
    const n = ++this.packets;
    if ((n & 0xffff) === 0 && this.onProgress !== null) this.progress(batch.offset[i]!, source);
    this.see(batch.sec[i]!, batch.nsec[i]!);
    return n;
  }

  /** The capture's span so far takes in a packet at sec.nsec (files merged need not be in order). */
  private see(sec: number, nsec: number): void {
    if (sec < this.firstSec || (sec === this.firstSec && nsec < this.firstNsec)) {
      this.firstSec = sec;
      this.firstNsec = nsec;
    }
    if (sec > this.lastSec || (sec === this.lastSec && nsec > this.lastNsec)) {
      this.lastSec = sec;
      this.lastNsec = nsec;
    }
  }

  private progress(offset: number, source: number): void {
    this.offsets[source] = offset;
    let bytes = 0;
    for (const o of this.offsets) bytes += o ?? 0;
    this.onProgress!(this.packets, bytes);
  }
}
