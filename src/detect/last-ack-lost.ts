import { TcpState } from '../tcp/state.js';
import type { ClosingKind } from './closing.js';
import { Slot } from './evidence.js';
import { num, plural, secs } from './finding.js';

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
  summary(who, endpoint, k, n) {
    const peer = who === 'server' ? 'client' : 'server';
    return `The ${who} side of ${plural(n, 'connection')} with ${endpoint} closed second and its FIN ` +
      `${k.atEnd ? 'was never acknowledged' : 'had to be retransmitted'} (${num(k.finRetransmissions ?? 0)} FIN retransmissions, up to ` +
      `${secs(k.maxSeconds ?? 0)} in LAST_ACK${k.atEnd ? `; ${k.atEnd} still in LAST_ACK at the end` : ''}): the ${peer}'s last ACK did not reach it.`;
  },
};
