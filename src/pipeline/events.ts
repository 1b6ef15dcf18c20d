import { EVIDENCE_SLOTS } from '../tcp/connection.js';
import type { EvidenceStore } from '../detect/index.js';
import { EXPORT_WORDS } from '../detect/evidence.js';
import { Connection, type ConnectionSink, CONN_FLOATS, CONN_INTS, MAX_TRANSITIONS, Rows, TRANSITION_FIELDS } from '../tcp/index.js';
import { EVENT_HEADER, type EventRing, EventType, Phase } from './shared.js';

const ROW_INT_WORDS = Math.ceil(CONN_INTS / 2);
/** Words of a finished connection's event at most. */
const FINISHED_WORDS = EVENT_HEADER + 1 + ROW_INT_WORDS + CONN_FLOATS + MAX_TRANSITIONS * TRANSITION_FIELDS + 1 + EVIDENCE_SLOTS * EXPORT_WORDS;

/**
 * A worker's connection sink: each connection that begins, and each that finishes (its whole row,
 * its transitions and its evidence packets), becomes an event in the worker's ring, stamped with
 * when it happened: the packet being applied, and whether before it (timers) or by it.
 */
export class EventWriter implements ConnectionSink {
  /** The packet being applied, and the phase (Phase) it is in. */
  n = 0;
  phase: Phase = Phase.Packet;

  constructor(private readonly ring: EventRing, private readonly evidence: EvidenceStore | null, private readonly inPass: () => boolean) {}

  started(c: Connection): void {
    const r = this.ring;
    const at = r.begin(EVENT_HEADER);
    this.header(at, EVENT_HEADER, EventType.Started, c, 0);
    r.commit(EVENT_HEADER);
  }

  finished(c: Connection, now: number): void {
    const r = this.ring;
    const at = r.begin(FINISHED_WORDS);
    let w = at + EVENT_HEADER;
    const len = c.transitionLen;
    r.i32[2 * w] = len;
    w++;
    c.copyRow(r.i32, 2 * w, r.f64, w + ROW_INT_WORDS);
    w += ROW_INT_WORDS + CONN_FLOATS;
    const t = c.transitions;
    for (let k = 0; k < len; k++) r.f64[w + k] = t[k]!;
    w += len;
    if (this.evidence !== null) {
      w += this.evidence.exportSlots(c, r.f64, r.u8, w);
      this.evidence.releaseAll(c);
    } else {
      r.f64[w++] = 0;
    }
    this.header(at, w - at, EventType.Finished, c, now);
    r.commit(w - at);
  }

  private header(at: number, words: number, type: EventType, c: Connection, now: number): void {
    const r = this.ring;
    r.i32[2 * at] = words;
    r.i32[2 * at + 1] = type;
    r.f64[at + 1] = this.n;
    const phase = this.phase === Phase.End ? Phase.End : this.inPass() ? Phase.BeforePacket : Phase.Packet;
    r.i32[2 * (at + 2)] = phase;
    r.i32[2 * (at + 2) + 1] = c.partition;
    r.f64[at + 3] = c.id;
    r.f64[at + 4] = now;
  }
}

/** An event at the head of a worker's ring, decoded. */
export interface EventHead {
  at: number;
  type: EventType;
  n: number;
  phase: Phase;
  partition: number;
  localId: number;
}

export function readHead(r: EventRing, at: number, out: EventHead): void {
  out.at = at;
  out.type = r.i32[2 * at + 1]!;
  out.n = r.f64[at + 1]!;
  out.phase = r.i32[2 * (at + 2)]!;
  out.partition = r.i32[2 * (at + 2) + 1]!;
  out.localId = r.f64[at + 3]!;
}

/**
 * The reading thread's side: a finished connection's event back into a row of its own (one slot,
 * reused), its id made the capture's, its evidence packets into the store the detectors read.
 */
export class EventReader {
  private readonly rows = new Rows();
  readonly view: Connection;

  constructor(private readonly evidence: EvidenceStore | null) {
    this.rows.ensure(1);
    this.view = new Connection(this.rows, 0);
  }

  /** The connection of the Finished event at `at`, as `id`; returns it and the time it finished. */
  finished(r: EventRing, at: number, id: number): { c: Connection; now: number } {
    const c = this.view;
    let w = at + EVENT_HEADER;
    const len = r.i32[2 * w]!;
    w++;
    c.loadRow(r.i32, 2 * w, r.f64, w + ROW_INT_WORDS);
    c.setId(id);
    w += ROW_INT_WORDS + CONN_FLOATS;
    const t = c.transitions;
    for (let k = 0; k < len; k++) t[k] = r.f64[w + k]!;
    w += len;
    if (this.evidence !== null) this.evidence.importSlots(c, r.f64, r.u8, w);
    else for (let s = 0; s < EVIDENCE_SLOTS; s++) c.setEvidence(s, -1);
    return { c, now: r.f64[at + 4]! };
  }
}
