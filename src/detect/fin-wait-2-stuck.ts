import { TcpState } from '../tcp/state.js';
import type { ClosingKind } from './closing.js';
import { Slot } from './evidence.js';

/** fin_wait_2_stuck: a side whose FIN was acknowledged waits in FIN_WAIT_2 for the peer's FIN, longer than the threshold or to the end. */
export const FIN_WAIT_2_STUCK: ClosingKind = {
  kind: 'fin_wait_2_stuck',
  thresholds: (c) => c.finWait2,
  judge(e, _peer, config) {
    if (!e.hasVisited(TcpState.FIN_WAIT_2)) return null;
    const stillThere = e.state === TcpState.FIN_WAIT_2;
    const seconds = e.finWait2Seconds;
    const qualifies = seconds >= config.finWait2.seconds;
    return stillThere || qualifies ? { qualifies, seconds, stillThere } : null;
  },
  evidence: (side) => (side === 0 ? [Slot.FinClient, Slot.AckOfFinClient] : [Slot.FinServer, Slot.AckOfFinServer]),
};
