import { TcpState } from '../tcp/state.js';
import type { ClosingKind } from './closing.js';
import { Slot } from './evidence.js';

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
};
