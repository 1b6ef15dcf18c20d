import { CaptureError, type CaptureInput, type PcapReaderName, type PacketBatch, readCaptures, type RecordSink } from './capture/index.js';
import { DecodedPacket, decodePacket } from './decode/index.js';
import { closeSync, openSync, readSync } from 'node:fs';
import type { EvidencePacket } from './detect/index.js';
import { TcpdumpFormatter } from './report/tcpdump.js';
import { type Connection, Connections, DEFAULT_LIMITS, STATE_NAMES, type TableLimits, type TcpState } from './tcp/index.js';

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
 * One line per TCP packet, as `TZ=UTC tcpdump -nn -r` prints it through `length N`, then the
 * states of both sides after it: `  client SYN_SENT→ESTABLISHED  server SYN_RCVD`.
 * Lines go to `write` as they are made.
 */
export async function printCapture(inputs: readonly CaptureInput[], options: PrintOptions, write: (line: string, packet: number) => void): Promise<PrintResult> {
  const printer = new Printer(options, write);
  let damage: CaptureError | null = null;
  try {
    await readCaptures(inputs, printer, [], options.reader);
  } catch (e) {
    if (!(e instanceof CaptureError)) throw e;
    damage = e;
  }
  return { packets: printer.packets, printed: printer.printed, damage };
}

class Printer implements RecordSink {
  private readonly pkt = new DecodedPacket();
  private readonly table: Connections;
  private readonly formatter: TcpdumpFormatter;
  private readonly states: boolean;
  private readonly conn: number;
  packets = 0;
  printed = 0;

  constructor(options: PrintOptions, private readonly write: (line: string, packet: number) => void) {
    this.table = new Connections(options.msl ?? 30, { finished: () => {} }, false, options.limits ?? DEFAULT_LIMITS);
    this.formatter = new TcpdumpFormatter(options.absolute === true);
    this.states = options.states !== false;
    this.conn = options.conn ?? 0;
  }

  record(batch: PacketBatch, i: number): void {
    const n = ++this.packets;
    const p = this.pkt;
    const data = batch.data;
    const sec = batch.sec[i]!;
    const nsec = batch.nsec[i]!;
    const tcp = decodePacket(data, batch.start[i]!, batch.caplen[i]!, batch.origLen[i]!, batch.linkType[i]!, p);
    let c: Connection | null = null;
    if (tcp) {
      this.table.segment(p, n, sec, nsec, sec + nsec * 1e-9);
      c = this.table.current;
    }
    if (this.conn && (c === null || c.id !== this.conn)) return;
    // tcpdump -nn shows none of the tunnels tcpstate opens as TCP: their lines are not ours to print.
    if (p.encap !== 0) return;
    const line = this.formatter.line(data, p, sec, nsec, batch.linkType[i]!);
    if (line === null) return;
    this.printed++;
    if (!this.states || c === null) {
      this.write(`${line}\n`, n);
      return;
    }
    this.write(`${line}  client ${change(this.table.clientBefore, c.client.state)}  server ${change(this.table.serverBefore, c.server.state)}\n`, n);
  }
}

function change(before: TcpState, after: TcpState): string {
  return before === after ? STATE_NAMES[after]! : `${STATE_NAMES[before]}→${STATE_NAMES[after]}`;
}

/**
 * A finding's evidence packet as `print` shows it: the tcpdump line, then both sides' states after
 * it. Packets kept by reference are read again from their file (a handful per finding).
 */
export class EvidencePrinter {
  private readonly pkt = new DecodedPacket();
  private readonly formatter = new TcpdumpFormatter(false);
  private readonly files = new Map<string, number>();

  line(e: EvidencePacket): string {
    const bytes = e.bytes ?? this.read(e.file!);
    if (bytes === null) return `(packet ${e.packet}: ${e.file!.path} can no longer be read)`;
    const p = this.pkt;
    decodePacket(bytes, 0, bytes.length, e.origLen, e.linkType, p);
    const line = this.formatter.lineWithBases(bytes, p, e.sec, e.nsec, e.linkType, e.senderBase, e.receiverBase) ?? '(not printable)';
    return `${line}  client ${change(e.clientBefore, e.clientAfter)}  server ${change(e.serverBefore, e.serverAfter)}`;
  }

  private read(f: { path: string; offset: number; length: number }): Uint8Array | null {
    try {
      let fd = this.files.get(f.path);
      if (fd === undefined) {
        fd = openSync(f.path, 'r');
        this.files.set(f.path, fd);
      }
      const buf = Buffer.alloc(f.length);
      return readSync(fd, buf, 0, f.length, f.offset) === f.length ? buf : null;
    } catch {
      return null;
    }
  }

  close(): void {
    for (const fd of this.files.values()) closeSync(fd);
    this.files.clear();
  }
}
