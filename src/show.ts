import type { CaptureError, CaptureInput, PacketBatch, PcapReaderName, Precision } from './capture/index.js';
import { TH_ACK } from './decode/index.js';
import { drive, type PacketSink } from './pipeline/drive.js';
import { PacketStage } from './pipeline/stages.js';
import { endpointToString, isoTimestamp, stateCell, uncertainNotes } from './report/format.js';
import { flagString } from './report/tcpdump.js';
import {
  type Connection, DEFAULT_LIMITS, EVENT_NAMES, STATE_NAMES, TRANSITION_FIELDS, transitionEvent, transitionFrom,
  transitionSide, transitionTo, statesAt, toRecord, type ConnectionRecord, type TableLimits,
} from './tcp/index.js';

/** One packet of the connection, as the ladder shows it. */
interface Rung {
  packet: number;
  sec: number;
  nsec: number;
  fromClient: boolean;
  label: string;
}

export interface ShowResult {
  /** The ladder, or null when the capture has no connection with that id. */
  text: string | null;
  damage: CaptureError | null;
}

/**
 * The life of one connection as a ladder: time, packet number, an arrow between client and
 * server with the tcpdump flags, each side's state after the packet, and a line for every transition.
 */
export async function showConnection(inputs: readonly CaptureInput[], id: number, msl = 30, limits: TableLimits = DEFAULT_LIMITS,
  reader: PcapReaderName = 'tcpstate'): Promise<ShowResult> {
  const ladder = new Ladder(id, msl, limits);
  const pass = await drive(inputs, ladder, { reader });
  ladder.stage.table.flush(pass.reading.endTime);
  return { text: ladder.connection ? render(ladder.connection, ladder.rungs, pass.precision) : null, damage: pass.damage };
}

class Ladder implements PacketSink {
  readonly stage: PacketStage;
  readonly rungs: Rung[] = [];
  connection: ConnectionRecord | null = null;

  constructor(private readonly id: number, msl: number, limits: TableLimits) {
    this.stage = new PacketStage({ msl, transitions: true, limits, zeek: false, maxRows: 0 }, { finished: (c) => this.finished(c) }, null);
  }

  packet(batch: PacketBatch, i: number, n: number): void {
    if (!this.stage.record(batch, i, n, false)) return;
    const table = this.stage.table;
    const p = this.stage.pkt;
    const c = table.current!;
    if (c.id !== this.id) return;
    const fromClient = table.currentFromClient;
    const sender = fromClient ? c.client : c.server;
    const receiver = fromClient ? c.server : c.client;
    // Sequence numbers relative to each side's initial one where it is known, as tcpdump shows them.
    const seq = sender.issKnown ? (p.seq - sender.iss) >>> 0 : p.seq >>> 0;
    const ack = receiver.issKnown ? (p.ack - receiver.iss) >>> 0 : p.ack >>> 0;
    let label = `[${flagString(p.flags & 0xff)}] seq ${seq}`;
    if (p.flags & TH_ACK) label += ` ack ${ack}`;
    if (p.payloadLen) label += ` len ${p.payloadLen}`;
    this.rungs.push({ packet: n, sec: batch.sec[i]!, nsec: batch.nsec[i]!, fromClient, label });
  }

  private finished(c: Connection): void {
    if (c.id === this.id) this.connection = toRecord(c);
  }
}

const ARROW = 40;

function render(c: ConnectionRecord, rungs: Rung[], precision: Precision): string {
  const client = endpointToString(c.family, c.client);
  const server = endpointToString(c.family, c.server);
  const out: string[] = [];
  out.push(`Connection ${c.id}: client ${client}, server ${server}` + (c.roleInferred ? ' (roles inferred: handshake not captured)' : ''));
  out.push(`Packets ${c.firstPacket}..${c.lastPacket}, ${c.client.packets} from the client, ${c.server.packets} from the server; ` +
    `at the end client ${stateCell(c.client)}, server ${stateCell(c.server)}`);
  out.push('');
  const stamp = (sec: number, nsec: number) => isoTimestamp(sec, nsec, precision).slice(11, -1);
  const timeWidth = stamp(0, 0).length;
  out.push(`${'TIME'.padEnd(timeWidth)}  ${'PKT'.padStart(6)}  ${'CLIENT'.padEnd(12)} ${''.padEnd(ARROW)} SERVER`);
  const t = c.transitions ?? [];
  let k = 0;
  const transitionLines = (upTo: (packet: number, sec: number, nsec: number) => boolean) => {
    while (k + TRANSITION_FIELDS <= t.length && upTo(t[k]!, t[k + 1]!, t[k + 2]!)) {
      const packed = t[k + 3]!;
      const side = transitionSide(packed) === 0 ? 'client' : 'server';
      const line = `${side} ${STATE_NAMES[transitionFrom(packed)]} → ${STATE_NAMES[transitionTo(packed)]}: ${EVENT_NAMES[transitionEvent(packed)]}`;
      out.push(t[k] === 0 ? `${stamp(t[k + 1]!, t[k + 2]!)}  ${'timer'.padStart(6)}  ${line}` : `${''.padEnd(timeWidth + 10)}↳ ${line}`);
      k += TRANSITION_FIELDS;
    }
  };
  const lost = new Set(c.lost.map((l) => l.packet));
  for (const r of rungs) {
    // Timer transitions that came before this packet.
    transitionLines((packet, sec, nsec) => packet === 0 && (sec < r.sec || (sec === r.sec && nsec <= r.nsec)));
    // The states after it are its history's (an arrival shown not to have happened is not in it); a lost segment's arrow ends in ✕.
    const states = statesAt(t, r.packet);
    const head = lost.has(r.packet) ? '✕' : r.fromClient ? '▶' : '◀';
    const arrow = r.fromClient
      ? `${`─ ${r.label} `.padEnd(ARROW - 1, '─')}${head}`
      : `${head}${` ${r.label} ─`.padStart(ARROW - 1, '─')}`;
    out.push(`${stamp(r.sec, r.nsec)}  ${String(r.packet).padStart(6)}  ${STATE_NAMES[states[1]!]!.padEnd(12)} ${arrow} ${STATE_NAMES[states[3]!]}`);
    transitionLines((packet) => packet === r.packet);
  }
  transitionLines(() => true);
  const notes = uncertainNotes([c]);
  if (notes.length) out.push('', ...notes.map((n) => `? ${n}`));
  return `${out.join('\n')}\n`;
}
