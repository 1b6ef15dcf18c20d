import type { DecodedPacket } from '../decode/index.js';

/** Zeek's TCP_Endpoint states (analyzer/protocol/tcp/TCP_Endpoint.h). */
export const enum ZState {
  INACTIVE = 0,
  SYN_SENT,
  SYN_ACK_SENT,
  PARTIAL,
  ESTABLISHED,
  CLOSED,
  RESET,
}

/** Sequence distances: 32-bit differences. */
export const delta = (a: number, b: number): number => (a - b) | 0;


/** Zeek's TCP_Endpoint: one side's state, sequence bookkeeping and counters. */
export class ZEndpoint {
  state = ZState.INACTIVE;
  prev = ZState.INACTIVE;
  startSeq = 0;
  lastSeq = 0;
  ackSeq = 0;
  finCnt = 0;
  didClose = false;
  histLastSyn = 0;
  histLastFin = 0;
  histLastRst = 0;
  rxmtCnt = 0;
  rxmtThresh = 1;
  win0Cnt = 0;
  win0Thresh = 1;
  chkCnt = 0;
  chkThresh = 1;
  pkts = 0;
  ipBytes = 0;

  a0 = 0; a1 = 0; a2 = 0; a3 = 0;

  constructor(public isOrig: boolean, public port: number) {}

  /** As new: the tracker reuses the endpoints of removed connections (a test holds the field lists together). */
  reset(isOrig: boolean, port: number): void {
    this.isOrig = isOrig;
    this.port = port;
    this.state = ZState.INACTIVE;
    this.prev = ZState.INACTIVE;
    this.startSeq = 0;
    this.lastSeq = 0;
    this.ackSeq = 0;
    this.finCnt = 0;
    this.didClose = false;
    this.histLastSyn = 0;
    this.histLastFin = 0;
    this.histLastRst = 0;
    this.rxmtCnt = 0;
    this.rxmtThresh = 1;
    this.win0Cnt = 0;
    this.win0Thresh = 1;
    this.chkCnt = 0;
    this.chkThresh = 1;
    this.pkts = 0;
    this.ipBytes = 0;
    this.a0 = 0; this.a1 = 0; this.a2 = 0; this.a3 = 0;
  }

  /** Whether this endpoint is the packet's source (`source` true) or its destination (`source` false). */
  is(p: DecodedPacket, source: boolean): boolean {
    return source
      ? this.port === p.sport && this.a0 === p.s0 && this.a1 === p.s1 && this.a2 === p.s2 && this.a3 === p.s3
      : this.port === p.dport && this.a0 === p.d0 && this.a1 === p.d1 && this.a2 === p.d2 && this.a3 === p.d3;
  }

  setState(s: ZState): void {
    if (s !== this.state) {
      this.prev = this.state;
      this.state = s;
    }
  }

  /** Payload bytes from sequence-number progress, as TCP_Endpoint::Size. */
  size(peer: ZEndpoint): number {
    if (this.prev === ZState.SYN_SENT && this.state === ZState.RESET && peer.state === ZState.INACTIVE) return 0;
    const last = delta(this.lastSeq, this.startSeq);
    const ack = delta(this.ackSeq, this.startSeq);
    let size = Math.max(last, ack, 0);
    if (size !== 0) size--;
    if (this.finCnt > 0 && size !== 0) size--;
    return size;
  }
}
