import { TcpState } from '../tcp/state.js';
import type { ClosingKind } from './closing.js';
import { Slot } from './evidence.js';
import { plural, secs } from './finding.js';

/** close_wait_leak: a side acknowledged its peer's FIN and did not send its own for too long, or by the end: the application never closed the socket. */
export const CLOSE_WAIT_LEAK: ClosingKind = {
  kind: 'close_wait_leak',
  thresholds: (c) => c.closeWait,
  judge(e, _peer, config) {
    if (!e.hasVisited(TcpState.CLOSE_WAIT)) return null;
    const stillThere = e.state === TcpState.CLOSE_WAIT;
    const seconds = e.closeWaitSeconds;
    const qualifies = seconds >= config.closeWait.seconds;
    return stillThere || qualifies ? { qualifies, seconds, stillThere } : null;
  },
  evidence: (side) => (side === 1 ? [Slot.FinClient, Slot.AckOfFinClient, Slot.FinServer] : [Slot.FinServer, Slot.AckOfFinServer, Slot.FinClient]),
  summary(who, endpoint, k, n) {
    const peer = who === 'server' ? 'client' : 'server';
    const where = who === 'server' ? endpoint : `clients of ${endpoint}`;
    return `${who === 'server' ? `The server ${endpoint}` : `The client side of ${plural(n, 'connection')} to ${endpoint}`} ` +
      `${who === 'server' ? `left ${plural(n, 'connection')}` : 'stayed'} in CLOSE_WAIT: it acknowledged the ${peer}'s FIN and ` +
      `${k.atEnd === n ? 'never sent its own' : `took too long to send its own (${plural(n - k.atEnd, 'connection')} closed late)`} ` +
      `(up to ${secs(k.maxSeconds ?? 0)}${k.atEnd ? `; ${k.atEnd} still in CLOSE_WAIT at the end of the capture` : ''}): ` +
      `the application on ${where} did not close the socket.`;
  },
};
