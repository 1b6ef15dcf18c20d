import { TRANSITION_FIELDS, transitionSide, transitionTo } from './connection.js';
import { TcpState } from './state.js';

/**
 * Both sides' states just before and just after packet `n` (client before, client after, server
 * before, server after), from a connection's transitions (packet, sec, nsec, packed; packet 0 for a
 * timer or the end), which are in the order they happened. What a packet shows is its history's,
 * not what was believed when it was captured: an arrival later shown not to have happened is not in it.
 */
export function statesAt(t: ArrayLike<number>, n: number, out: TcpState[] = [0, 0, 0, 0]): TcpState[] {
  let client = TcpState.CLOSED;
  let server = TcpState.CLOSED;
  let k = 0;
  for (; k + TRANSITION_FIELDS <= t.length; k += TRANSITION_FIELDS) {
    const packet = t[k]!;
    if (packet !== 0 && packet >= n) break;
    if (transitionSide(t[k + 3]!) === 0) client = transitionTo(t[k + 3]!) as TcpState;
    else server = transitionTo(t[k + 3]!) as TcpState;
  }
  out[0] = client;
  out[2] = server;
  for (; k + TRANSITION_FIELDS <= t.length && t[k] === n; k += TRANSITION_FIELDS) {
    if (transitionSide(t[k + 3]!) === 0) client = transitionTo(t[k + 3]!) as TcpState;
    else server = transitionTo(t[k + 3]!) as TcpState;
  }
  out[1] = client;
  out[3] = server;
  return out;
}
