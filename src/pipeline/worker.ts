import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { EvidenceStore } from '../detect/index.js';
import { EventWriter } from './events.js';
import { BatchRing, type BatchRingBuffers, EventRing, type EventRingBuffers, Phase } from './shared.js';
import { PacketStage, type PacketStageOptions } from './stages.js';

/** What a worker is given (pipeline/threads.ts). */
export interface WorkerSetup {
  ring: BatchRingBuffers;
  events: EventRingBuffers;
  bell: SharedArrayBuffer;
  /** Where the reader sends a batch entry's new data buffer. */
  port: MessagePort;
  options: PacketStageOptions;
  evidence: boolean;
  paths: string[];
  /** This worker's number among `workers`, and the partitions it follows. */
  index: number;
  workers: number;
  partitions: number[];
}

/** What a worker hands back at the end, to be added to the other workers'. */
export interface WorkerTotals {
  tcpPackets: number;
  ipFragments: number;
  notDecoded: [number, number][];
  timeline: { width: number; buckets: [number, number][] }[];
  evictedIdle: number;
  evictedFull: number;
  zeek: unknown[] | null;
}

/**
 * One worker: every batch the reader publishes, every packet of it decoded (to know its partition
 * and to keep every partition's clock), the packets of its own partitions applied, and the
 * connections that begin and finish written to its event ring.
 */
function run(setup: WorkerSetup): WorkerTotals {
  const bell = new Int32Array(setup.bell);
  const ring = new BatchRing(setup.ring);
  const events = new EventRing(setup.events, bell);
  const evidence = setup.evidence ? new EvidenceStore(setup.paths) : null;
  let stage: PacketStage | null = null;
  const writer = new EventWriter(events, evidence, () => stage!.table.inPass);
  stage = new PacketStage({ ...setup.options, only: setup.partitions }, writer, evidence);
  const gens = new Array<number>(ring.batches.length).fill(0);
  for (let seq = 0; ; seq++) {
    const k = ring.awaitBatch(seq);
    if (k < 0) break;
    const batch = ring.batches[k]!;
    while (gens[k] !== ring.dataGen(k)) {
      // The entry's data buffer was replaced by a larger one: it was posted before the batch was published.
      const m = receiveMessageOnPort(setup.port);
      if (m === undefined) continue;
      const { entry, gen, data } = m.message as { entry: number; gen: number; data: SharedArrayBuffer };
      ring.batches[entry]!.data = new Uint8Array(data);
      gens[entry] = gen;
    }
    batch.length = ring.length(k);
    const path = ring.path(k);
    batch.path = path >= 0 ? setup.paths[path]! : null;
    const first = ring.firstPacket(k);
    const countsOthers = seq % setup.workers === setup.index;
    for (let i = 0; i < batch.length; i++) {
      writer.n = first + i;
      stage.record(batch, i, first + i, countsOthers);
    }
    ring.release(k);
    events.advance(first + batch.length);
    events.ring();
  }
  writer.phase = Phase.End;
  writer.n = Infinity;
  stage.table.flush(ring.lastTime);
  events.finish();
  return {
    tcpPackets: stage.tcpPackets,
    ipFragments: stage.ipFragments,
    notDecoded: [...stage.notDecoded],
    timeline: stage.timeline.map((t) => t.toData()),
    evictedIdle: stage.table.evictedIdle,
    evictedFull: stage.table.evictedFull,
    zeek: stage.zeek ? stage.zeek.finish() : null,
  };
}

const setup = workerData as WorkerSetup;
try {
  parentPort!.postMessage({ totals: run(setup) });
} catch (e) {
  // Said on the bell, so that the reading thread, which may be waiting on it, hears of it at once.
  const bell = new Int32Array(setup.bell);
  parentPort!.postMessage({ error: e instanceof Error ? e.stack ?? e.message : String(e) });
  Atomics.store(bell, 1, 1);
  Atomics.add(bell, 0, 1);
  Atomics.notify(bell, 0);
}
