import { TcpState } from '../tcp/state.js';
import type { ClosingKind } from './closing.js';
import { Slot } from './evidence.js';

/** last_ack_lost: the passive closer's FIN retransmitted or never acknowledged: it waits in LAST_ACK. */
export const LAST_ACK_LOST: ClosingKind = {
  kind: 'last_ack_lost',
  thresholds: (c) => c.lastAck,
  judge(e, _peer, config) {
    if (!e.hasVisited(TcpState.LAST_ACK)) return null;
    const stillThere = e.state === TcpState.LAST_ACK;
    if (!stillThere && e.finRetransmits === 0) return null;
    const seconds = e.lastAckSeconds;
    return { qualifies: e.finRetransmits >= config.lastAck.retransmits || seconds >= config.lastAck.seconds, seconds, stillThere };
  },
  count(e, _peer, bump) {
    bump('finRetransmissions', e.finRetransmits);
  },
  evidence: (side) => (side === 0 ? [Slot.FinClient, Slot.AckOfFinClient, Slot.TroubleFirstClient, Slot.TroubleLastClient]
    : [Slot.FinServer, Slot.AckOfFinServer, Slot.TroubleFirstServer, Slot.TroubleLastServer]),
};
