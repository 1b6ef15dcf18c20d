/** Evidence packets as `tcpdump` and `print` show them: the line, both sides' states after it, and a loss the wire proved. */
import { closeSync, openSync, readSync } from 'node:fs';
import { DecodedPacket, decodePacket } from '../decode/index.js';
import type { EvidencePacket } from '../detect/index.js';
import { STATE_NAMES, type TcpState } from '../tcp/index.js';
import { TcpdumpFormatter } from './tcpdump.js';

/** What print appends to a segment the wire showed lost: `  lost before server (shown by packet 14)`. */
export function lostNote(lost: { before: string; provedBy: number } | null | undefined): string {
  if (!lost) return '';
  return `  lost before ${lost.before}${lost.provedBy ? ` (shown by packet ${lost.provedBy})` : ''}`;
}

export function change(before: TcpState, after: TcpState): string {
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
    return `${line}  client ${change(e.clientBefore, e.clientAfter)}  server ${change(e.serverBefore, e.serverAfter)}${lostNote(e.lost)}`;
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
