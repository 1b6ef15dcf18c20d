import type { CaptureError, CaptureInput, PacketBatch, PcapReaderName } from './capture/index.js';
import { drive, type PacketSink } from './pipeline/drive.js';
import { PacketStage } from './pipeline/stages.js';
import { change, lostNote } from './report/evidence.js';
import { TcpdumpFormatter } from './report/tcpdump.js';
import {
  type Connection, type ConnectionTable, type ConnectionSink, DEFAULT_LIMITS, type LostSegment, statesAt, type TableLimits, type TcpState,
} from './tcp/index.js';

export interface PrintOptions {
  /** Append both sides' states after each line (default true). */
  states?: boolean;
  /** Only the packets of this connection id. */
  conn?: number;
  /** Absolute sequence numbers, like tcpdump -S. */
  absolute?: boolean;
  msl?: number;
  /** The connection table's bounds, as given to `analyze` (so that connection ids agree with its). */
  limits?: TableLimits;
  /** Which code reads classic pcap (see analyze). */
  reader?: PcapReaderName;
}

export interface PrintResult {
  packets: number;
  printed: number;
  damage: CaptureError | null;
}

/**
 * Lines held back at most: a line waits while an arrival in question could still rewrite the states
 * it shows (until the wire decides it, or its connection ends); past this many, the oldest goes out
 * with the states as they are known then.
 */
export const MAX_HELD_LINES = 65536;

/**
 * One line per TCP packet, as `TZ=UTC tcpdump -nn -r` prints it through `length N`, then the
 * states of both sides after it: `  client SYN_SENT→ESTABLISHED  server SYN_RCVD`, and for a
 * segment the wire later showed lost, `  lost before server (shown by packet 14)`. The states are
 * the connection's history as decided, not what was believed when the packet was captured, so a
 * line is held until nothing can change what it shows (MAX_HELD_LINES at most). Lines go to `write` in packet order.
 */
export async function printCapture(inputs: readonly CaptureInput[], options: PrintOptions, write: (line: string, packet: number) => void): Promise<PrintResult> {
  const printer = new Printer(options, write);
  const pass = await drive(inputs, printer, { reader: options.reader });
  printer.end(pass.reading.endTime);
  return { packets: pass.reading.packets, printed: printer.printed, damage: pass.damage };
}

/** A line waiting for its connection's history to settle. */
interface Held {
  packet: number;
  text: string;
  /** The connection's id and table slot, and the table; -1 for a line with no states to wait for. */
  id: number;
  slot: number;
  table: ConnectionTable | null;
  /** The states seen when it was captured (used if the history never changes them). */
  states: TcpState[];
}

/** What a finished connection's history says, for its lines still held. */
interface Settled {
  transitions: number[] | null;
  lost: LostSegment[];
}

class Printer implements PacketSink, ConnectionSink {
  private readonly stage: PacketStage;
  private readonly formatter: TcpdumpFormatter;
  private readonly states: boolean;
  private readonly conn: number;
  private readonly held: Held[] = [];
  private head = 0;
  /** Connections that finished with lines still held: their history, by id. */
  private readonly settled = new Map<number, Settled>();
  /** Connections with lines held, by id: how many. */
  private readonly waiting = new Map<number, number>();
  private readonly scratch: number[] = [];
  printed = 0;

  constructor(options: PrintOptions, private readonly write: (line: string, packet: number) => void) {
    this.stage = new PacketStage({ msl: options.msl ?? 30, transitions: false, limits: options.limits ?? DEFAULT_LIMITS, zeek: false, maxRows: 0 }, this, null);
    this.formatter = new TcpdumpFormatter(options.absolute === true);
    this.states = options.states !== false;
    this.conn = options.conn ?? 0;
  }

  packet(batch: PacketBatch, i: number, n: number): void {
    const stage = this.stage;
    const p = stage.pkt;
    const data = batch.data;
    const c: Connection | null = stage.record(batch, i, n, false) ? stage.table.current : null;
    if (this.conn && (c === null || c.id !== this.conn)) {
      this.release(false);
      return;
    }
    const line = this.formatter.line(data, p, batch.sec[i]!, batch.nsec[i]!, batch.linkType[i]!);
    if (line !== null) {
      this.printed++;
      const t = stage.table.table;
      if (!this.states || c === null || t === null) {
        this.held.push({ packet: n, text: line, id: -1, slot: -1, table: null, states: [] });
      } else {
        this.held.push({
          packet: n, text: line, id: c.id, slot: c.slot, table: t,
          states: [stage.table.clientBefore, c.client.state, stage.table.serverBefore, c.server.state],
        });
        this.waiting.set(c.id, (this.waiting.get(c.id) ?? 0) + 1);
      }
    }
    this.release(false);
  }

  /** The connection table's sink: a connection that finishes with lines held leaves its history for them. */
  finished(c: Connection): void {
    if (!this.waiting.has(c.id)) return;
    this.settled.set(c.id, { transitions: c.rewritten ? c.transitions.slice(0, c.transitionLen) : null, lost: c.lost() });
  }

  /** The capture ended at `now`: every connection still open has finished (its history decided), and every line goes out. */
  end(now: number): void {
    this.stage.table.flush(now);
    this.release(true);
  }

  /** Writes out the held lines, in order, as far as their states are settled (all of them when `all`). */
  private release(all: boolean): void {
    const held = this.held;
    while (this.head < held.length) {
      const h = held[this.head]!;
      const force = all || held.length - this.head > MAX_HELD_LINES;
      if (h.id >= 0 && !force && !this.settled.has(h.id) && h.table!.view(h.slot).id === h.id && h.packet >= h.table!.earliestOpen(h.slot)) break;
      this.out(h);
      held[this.head++] = undefined as unknown as Held;
    }
    if (this.head > 4096 && this.head * 2 > held.length) {
      held.splice(0, this.head);
      this.head = 0;
    }
  }

  private out(h: Held): void {
    if (h.id < 0) {
      this.write(`${h.text}\n`, h.packet);
      return;
    }
    let states = h.states;
    let lost: LostSegment | undefined;
    const done = this.settled.get(h.id);
    const live = done === undefined && h.table!.view(h.slot).id === h.id ? h.table!.view(h.slot) : null;
    const transitions = done !== undefined ? done.transitions : live !== null && live.rewritten ? (h.table!.transitionsNow(live, this.scratch), this.scratch) : null;
    if (transitions !== null) states = statesAt(transitions, h.packet);
    lost = (done !== undefined ? done.lost : live !== null ? live.lost() : []).find((l) => l.packet === h.packet);
    const left = (this.waiting.get(h.id) ?? 1) - 1;
    if (left === 0) {
      this.waiting.delete(h.id);
      this.settled.delete(h.id);
    } else {
      this.waiting.set(h.id, left);
    }
    this.write(`${h.text}  client ${change(states[0]!, states[1]!)}  server ${change(states[2]!, states[3]!)}${lostNote(lost)}\n`, h.packet);
  }
}
