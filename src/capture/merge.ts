import type { PacketBatch } from './batch.js';
import { CaptureSource, type CaptureInput, type InputInfo, type PcapReaderName, type Source } from './source.js';

/** Receives every record of the capture, in order; `batch.data` is valid only during the call. */
export interface RecordSink {
  record(batch: PacketBatch, i: number, source: number): void;
  /** When there is a single input: its batches whole, in place of record() per record. */
  batch?(batch: PacketBatch, source: number): void;
}

/**
 * Reads several captures as one, merged by timestamp (rotated `tcpdump -C/-G` output,
 * or files from several capture points). A single input is passed through in file order.
 * `infos` receives each input's facts as it is read.
 */
export async function readCaptures(inputs: readonly CaptureInput[], sink: RecordSink, infos: InputInfo[] = [],
  reader: PcapReaderName = 'tcpstate'): Promise<void> {
  const sources: Source[] = inputs.map((i) => new CaptureSource(i, reader));
  for (const s of sources) infos.push(s.info);
  try {
    await pump(sources, sink);
  } finally {
    for (const s of sources) s.close();
    // pcap-parser schedules a process.nextTick per file it opens. Reading from memory never yields
    // to the event loop, so a caller analysing stream after stream in one process would pile those
    // ticks (and the parsers they hold) up; one turn of the loop here lets them run.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

async function pump(sources: Source[], sink: RecordSink): Promise<void> {
  if (sources.length === 1) {
    const s = sources[0]!;
    const batch = s.batch;
    while (await s.next()) {
      if (sink.batch) sink.batch(batch, 0);
      else for (let i = 0; i < batch.length; i++) sink.record(batch, i, 0);
    }
    return;
  }
  const pos = new Array<number>(sources.length).fill(0);
  const live: number[] = [];
  for (let k = 0; k < sources.length; k++) if (await sources[k]!.next()) live.push(k);
  while (live.length > 0) {
    let best = 0;
    let bk = live[0]!;
    let bb = sources[bk]!.batch;
    let bSec = bb.sec[pos[bk]!]!;
    let bNsec = bb.nsec[pos[bk]!]!;
    for (let j = 1; j < live.length; j++) {
      const k = live[j]!;
      const b = sources[k]!.batch;
      const p = pos[k]!;
      const sec = b.sec[p]!;
      if (sec < bSec || (sec === bSec && b.nsec[p]! < bNsec)) {
        best = j;
        bk = k;
        bb = b;
        bSec = sec;
        bNsec = b.nsec[p]!;
      }
    }
    sink.record(bb, pos[bk]!, bk);
    const next = pos[bk]! + 1;
    if (next < bb.length) {
      pos[bk] = next;
    } else {
      pos[bk] = 0;
      if (!(await sources[bk]!.next())) live.splice(best, 1);
    }
  }
}
