import { type DecodedPacket, TH_ACK, TH_FIN, TH_RST, TH_SYN } from '../decode/index.js';
import { delta, type ZEndpoint, ZState } from './endpoint.js';
import { HIST_ACK, HIST_DATA, HIST_FIN, HIST_FIN_RST, HIST_MULTI, HIST_RST, HIST_SYN, type ZConn } from './history.js';

/**
 * What Zeek's TCP session adapter (analyzer/protocol/tcp/TCPSessionAdapter.cc) does with each
 * packet of a connection: endpoint states, history letters, sequence bookkeeping, and when its
 * timers will remove the connection. The tracker (tracker.ts) finds the connection and runs the timers.
 */

const ATTEMPT_DELAY = 5;
const CLOSE_DELAY = 5;
const RESET_DELAY = 5;
const PARTIAL_CLOSE_DELAY = 3;
const TOO_LARGE_SEQ_DELTA = 1048576;

/** TCPSessionAdapter::Process, the parts that decide states, history and sizes. */
export function deliver(c: ZConn, ep: ZEndpoint, peer: ZEndpoint, p: DecodedPacket, t: number): void {
  const f = p.flags;
  const syn = (f & TH_SYN) !== 0;
  const fin = (f & TH_FIN) !== 0;
  const rst = (f & TH_RST) !== 0;
  const ack = (f & TH_ACK) !== 0;
  const len = p.payloadLen;
  const base = p.seq | 0;
  const ackSeq = p.ack | 0;
  const segLen = len + (syn ? 1 : 0) + (fin ? 1 : 0) - (rst ? len : 0);
  const onePast = (base + segLen) | 0;

  // init_endpoint
  switch (ep.state) {
    case ZState.INACTIVE:
      if (syn) {
        ep.ackSeq = base;
        ep.startSeq = base;
        ep.lastSeq = onePast;
      } else {
        ep.ackSeq = (base - 1) | 0;
        ep.startSeq = (base - 1) | 0;
        ep.lastSeq = base;
      }
      break;
    case ZState.SYN_SENT:
    case ZState.SYN_ACK_SENT:
      if (syn && base !== ep.startSeq) {
        ep.startSeq = base;
        ep.ackSeq = base;
        ep.lastSeq = onePast;
      }
      break;
    case ZState.ESTABLISHED:
    case ZState.PARTIAL:
      if (syn) {
        ep.startSeq = base;
        ep.ackSeq = base;
        ep.lastSeq = onePast;
      }
      break;
    case ZState.RESET:
      if (syn && ep.prev === ZState.INACTIVE) {
        ep.startSeq = base;
        ep.ackSeq = base;
        ep.lastSeq = onePast;
      }
      break;
    default:
      break;
  }
  const relSeq = delta(base, ep.startSeq);

  // update_history
  const bits = (syn ? 1 : 0) + (fin ? 1 : 0) + (rst ? 1 : 0);
  if (bits > 1) {
    if (fin && rst) c.checkHistory(ep, HIST_FIN_RST, 'I');
    else c.checkHistory(ep, HIST_MULTI, 'Q');
  } else if (bits === 1) {
    if (syn) {
      const code = ack ? 'H' : 'S';
      if (c.checkHistory(ep, HIST_SYN, code) && relSeq !== ep.histLastSyn) c.addEndpointHistory(ep, code);
      ep.histLastSyn = relSeq;
    }
    if (fin) {
      if (c.checkHistory(ep, HIST_FIN, 'F') && relSeq + len !== ep.histLastFin) c.addEndpointHistory(ep, 'F');
      ep.histLastFin = relSeq + len;
    }
    if (rst) {
      if (c.checkHistory(ep, HIST_RST, 'R') && relSeq !== ep.histLastRst) c.addEndpointHistory(ep, 'R');
      ep.histLastRst = relSeq;
    }
  } else if (len) {
    c.checkHistory(ep, HIST_DATA, 'D');
  } else if (ack) {
    c.checkHistory(ep, HIST_ACK, 'A');
  }

  // update_window: zero windows (the scaled 'W').
  if (p.window === 0 && !rst && peer.state !== ZState.CLOSED && ep.state !== ZState.RESET) c.scaled(ep, 'W', 'win0');

  if (!c.orig.didClose || !c.resp.didClose) c.last = t;
  if (fin) ep.finCnt++;

  if (ack) {
    if (peer.state === ZState.INACTIVE) {
      peer.startSeq = (ackSeq - 1) | 0;
      peer.ackSeq = (ackSeq - 1) | 0;
      peer.lastSeq = (ackSeq - 1) | 0;
    } else if (!rst) {
      const dAck = delta(ackSeq, peer.ackSeq);
      if (!(ackSeq === 0 && dAck > TOO_LARGE_SEQ_DELTA) && dAck > 0) peer.ackSeq = ackSeq;
    }
  }

  // update_last_seq
  const dLast = delta(onePast, ep.lastSeq);
  if ((syn || rst) && (dLast > TOO_LARGE_SEQ_DELTA || dLast < -TOO_LARGE_SEQ_DELTA)) {
    // untrusted
  } else if (fin && ep.lastSeq === ((ep.startSeq + 1) | 0)) {
    ep.lastSeq = onePast;
  } else if (ep.state === ZState.RESET) {
    // no later sequence numbers are trusted
  } else if (dLast > 0) {
    ep.lastSeq = onePast;
  } else if (len > 0) {
    c.scaled(ep, 'T', 'rxmt');
  }

  const close = stateMachine(c, ep, peer, base, len, t, syn, fin, rst, ack);
  if (close) closed(c, ep, peer);
}

/** TCPSessionAdapter::UpdateStateMachine; returns whether the endpoint closed. */
function stateMachine(c: ZConn, ep: ZEndpoint, peer: ZEndpoint, base: number, len: number, t: number,
  syn: boolean, fin: boolean, rst: boolean, ack: boolean): boolean {
  let doClose = false;
  switch (ep.state) {
    case ZState.INACTIVE: {
      if (syn) {
        if (ep.isOrig) {
          ep.setState(ack ? ZState.SYN_ACK_SENT : ZState.SYN_SENT);
          c.attemptAt = Math.min(c.attemptAt, t + ATTEMPT_DELAY);
        } else {
          if (!ack && peer.state === ZState.SYN_ACK_SENT && base === ep.startSeq) {
            // A SYN/SYN-ACK reversal: flip the roles and establish.
            c.flip();
            peer.setState(ZState.ESTABLISHED);
          }
          if (peer.state === ZState.SYN_SENT) peer.setState(ZState.ESTABLISHED);
          ep.setState(ZState.ESTABLISHED);
        }
      }
      if (closedOrReset(ep, fin, rst)) doClose = true;
      if (ep.state === ZState.INACTIVE) {
        if (!ep.isOrig && len === 0 && c.orig.state === ZState.SYN_SENT) {
          // An ACK of the initial SYN ahead of the SYN-ACK: not a partial connection.
        } else if (ack && peer.state === ZState.ESTABLISHED) {
          ep.setState(ZState.ESTABLISHED);
        } else {
          ep.setState(ZState.PARTIAL);
        }
      }
      break;
    }
    case ZState.SYN_SENT:
    case ZState.SYN_ACK_SENT:
      if (closedOrReset(ep, fin, rst)) doClose = true;
      break;
    case ZState.ESTABLISHED:
    case ZState.PARTIAL:
      if (syn && ep.state === ZState.PARTIAL && peer.state === ZState.INACTIVE && !ack) ep.setState(ZState.SYN_SENT);
      if (fin && !rst) {
        ep.setState(ZState.CLOSED);
        // A FIN after the peer's FIN and RST: the RST closed a normal termination.
        if (peer.state === ZState.RESET && peer.prev === ZState.CLOSED) peer.setState(ZState.CLOSED);
        doClose = true;
      }
      if (closedOrReset(ep, false, rst)) doClose = true;
      break;
    case ZState.CLOSED:
      if (rst && peer.state !== ZState.CLOSED) {
        ep.setState(ZState.RESET);
        if (!ep.didClose) doClose = true;
        c.resetAt = Math.min(c.resetAt, t + RESET_DELAY);
      }
      break;
    default:
      break;
  }
  return doClose;
}

/** TCPSessionAdapter::ConnectionClosed: when the record will be removed. */
function closed(c: ZConn, ep: ZEndpoint, peer: ZEndpoint): void {
  if (ep.didClose) return;
  ep.didClose = true;
  const complete = ep.state === ZState.RESET || peer.didClose || peer.state === ZState.INACTIVE;
  if (complete) {
    c.closeAt = Math.min(c.closeAt, c.last + CLOSE_DELAY);
  } else if (ep.prev === ZState.INACTIVE) {
    c.partialCloseAt = Math.min(c.partialCloseAt, c.last + PARTIAL_CLOSE_DELAY);
  }
}

/** A FIN closes the endpoint, a RST resets it (after the FIN, when a segment has both): whether either did. */
function closedOrReset(ep: ZEndpoint, fin: boolean, rst: boolean): boolean {
  if (fin) ep.setState(ZState.CLOSED);
  if (rst) ep.setState(ZState.RESET);
  return fin || rst;
}
