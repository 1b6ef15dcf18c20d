import { TcpState } from '../tcp/state.js';
import type { ClosingKind } from './closing.js';
import { Slot } from './evidence.js';

/** fin_wait_1_stuck: the active closer's FIN retransmitted or never acknowledged (lost, or held behind a zero window). */
export const FIN_WAIT_1_STUCK: ClosingKind = {
  kind: 'fin_wait_1_stuck',
  thresholds: (c) => c.finWait1,
  judge(e, _peer, config) {
    if (!e.hasVisited(TcpState.FIN_WAIT_1)) return null;
    const stillThere = e.state === TcpState.FIN_WAIT_1;
    if (!stillThere && e.finRetransmits === 0) return null;
    const seconds = e.finWait1Seconds;
    return { qualifies: e.finRetransmits >= config.finWait1.retransmits || seconds >= config.finWait1.seconds, seconds, stillThere };
  },
  count(e, peer, bump) {
    bump('finRetransmissions', e.finRetransmits);
    if (peer.window === 0) bump('peerZeroWindow');
    // The peer's FIN arrived but the ACK of its own never did: it waits in CLOSING instead.
    if (e.state === TcpState.CLOSING) bump('closingAtEnd');
  },
  evidence: (side) => (side === 0 ? [Slot.FinClient, Slot.TroubleFirstClient, Slot.TroubleLastClient, Slot.AckOfFinClient, Slot.ZeroWindow]
    : [Slot.FinServer, Slot.TroubleFirstServer, Slot.TroubleLastServer, Slot.AckOfFinServer, Slot.ZeroWindow]),
};
