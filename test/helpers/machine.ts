import { DecodedPacket, TH_ACK, TH_FIN, TH_PUSH, TH_RST, TH_SYN } from '../../src/decode/packet.js';
import { Connection, transitionEvent, transitionFrom, transitionSide, transitionTo, TRANSITION_FIELDS } from '../../src/tcp/connection.js';
import { CF, CI, EF, EI, Rows } from '../../src/tcp/layout.js';
import { TcpMachine } from '../../src/tcp/machine.js';
import { analyzeSegment } from '../../src/tcp/analysis.js';
import { EVENT_NAMES, STATE_NAMES, type TcpState, WHY_NAMES } from '../../src/tcp/state.js';


const FLAGS: Record<string, number> = { F: TH_FIN, S: TH_SYN, R: TH_RST, P: TH_PUSH, '.': TH_ACK };

/**
 * One connection's two state machines driven directly, with no capture, decoder or table: the
 * client is side 0, the server side 1. Each call is one segment as the capture point saw it.
 */
export class Wire {
  readonly rows = new Rows();
  readonly timeWait: { side: number; at: number }[] = [];
  readonly machine: TcpMachine;
  private readonly p = new DecodedPacket();
  private packet = 0;
  private opened = false;
  readonly conn: Connection;

  constructor() {
    this.rows.ensure(1);
    this.machine = new TcpMachine(this.rows, { startTimeWait: (_slot, side, sec, nsec) => this.timeWait.push({ side, at: sec + nsec * 1e-9 }) });
    this.conn = new Connection(this.rows, 0);
  }

  /** Client ('c') or server ('s') sends `flags` (tcpdump's letters) at `t` seconds. */
  seg(t: number, from: 'c' | 's', flags: string, seq: number, ack = 0, opts: { len?: number; win?: number } = {}): this {
    const p = this.p;
    p.flags = 0;
    for (const ch of flags) p.flags |= FLAGS[ch] ?? 0;
    p.seq = seq | 0;
    p.ack = ack | 0;
    p.payloadLen = opts.len ?? 0;
    p.window = opts.win ?? 64240;
    p.wscale = -1;
    p.ttl = 64;
    p.sport = from === 'c' ? 40000 : 80;
    p.dport = from === 'c' ? 80 : 40000;
    const packet = ++this.packet;
    const sec = Math.floor(t);
    const nsec = Math.round((t - sec) * 1e9);
    const i = this.rows.i;
    const f = this.rows.f;
    if (!this.opened) {
      this.opened = true;
      f[CF.startSec] = sec;
      i[CI.startNsec] = nsec;
      this.machine.open(0, 0, p, packet, sec, nsec);
    }
    // What the table does for every segment before the machines see it: counts, and Wireshark's analysis.
    const [s, sf, r, rf] = from === 'c' ? [CI.SIZE, CF.SIZE, CI.SIZE + EI.SIZE, CF.SIZE + EF.SIZE] : [CI.SIZE + EI.SIZE, CF.SIZE + EF.SIZE, CI.SIZE, CF.SIZE];
    f[CF.lastPacket] = f[CF.curPacket] = packet;
    f[CF.endSec] = f[CF.curSec] = sec;
    i[CI.endNsec] = i[CI.curNsec] = nsec;
    i[s + EI.packets]!++;
    f[sf + EF.payloadBytes]! += p.payloadLen;
    analyzeSegment(i, f, 0, 0, s, sf, r, rf, p, t);
    this.machine.segment(0, 0, s, sf, r, rf, p, packet, sec, nsec);
    return this;
  }

  /** The connection leaves the table at `t`: what is still in question is decided. */
  end(t: number): this {
    this.machine.decide(0, t);
    return this;
  }

  states(): [string, string] {
    return [STATE_NAMES[this.conn.client.state as TcpState]!, STATE_NAMES[this.conn.server.state as TcpState]!];
  }

  possible(side: 'c' | 's'): string[] {
    const e = side === 'c' ? this.conn.client : this.conn.server;
    const others = e.possibleStates();
    return others.length ? [e.state as TcpState, ...others].map((s) => STATE_NAMES[s]!) : [];
  }

  why(side: 'c' | 's'): string {
    return WHY_NAMES[(side === 'c' ? this.conn.client : this.conn.server).why]!;
  }

  /** Each transition as `packet side FROM>TO event`, in order. */
  trail(): string[] {
    const out: number[] = [];
    this.machine.transitions(this.conn, out);
    const lines: string[] = [];
    for (let i = 0; i < out.length; i += TRANSITION_FIELDS) {
      const k = out[i + 3]!;
      lines.push(`${out[i]} ${transitionSide(k) === 0 ? 'client' : 'server'} ${STATE_NAMES[transitionFrom(k)]}>${STATE_NAMES[transitionTo(k)]} ${EVENT_NAMES[transitionEvent(k)]}`);
    }
    return lines;
  }

  /** Segments shown lost: `packet before side (proved by N)`. */
  lost(): string[] {
    return this.conn.lost().map((l) => `${l.packet} before ${l.before} (proved by ${l.provedBy})`);
  }
}

