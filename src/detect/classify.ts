import type { Connection } from '../tcp/connection.js';
import type { Endpoint } from '../tcp/endpoint.js';
import { TcpState } from '../tcp/state.js';

/** The client sent a SYN (captured, or proven by a SYN,ACK). */
export function clientOpened(c: Connection): boolean {
  return c.client.hasVisited(TcpState.SYN_SENT);
}

/** The server never held the connection as established (corrections included): the handshake did not complete. */
export function handshakeFailed(c: Connection): boolean {
  if (!clientOpened(c)) return false;
  const s = c.server.state;
  return s === TcpState.LISTEN || s === TcpState.SYN_RCVD || (s === TcpState.CLOSED && !c.server.hasVisited(TcpState.ESTABLISHED));
}

/** RST answering the SYN: nothing listened (or a firewall answered for it). */
export function refused(c: Connection): boolean {
  return clientOpened(c) && c.server.sentRst && !c.server.synAckSent && !c.server.hasVisited(TcpState.ESTABLISHED);
}

/** The client's SYNs got no answer at all. */
export function synUnanswered(c: Connection): boolean {
  return clientOpened(c) && !c.client.sentRst && (c.server.packets === 0 || synAcksLost(c));
}

/** The server answered with SYN,ACKs, and none reached the client: it ends in SYN_SENT, sending its SYN again. */
export function synAcksLost(c: Connection): boolean {
  return c.server.synAckSent && c.client.state === TcpState.SYN_SENT && c.client.synRetransmits > 0;
}

/** Either side held the connection as established at some point (or it was already open when the capture began). */
export function synchronized(c: Connection): boolean {
  return c.client.hasVisited(TcpState.ESTABLISHED) || c.server.hasVisited(TcpState.ESTABLISHED);
}

export function sideName(side: number): 'client' | 'server' {
  return side === 0 ? 'client' : 'server';
}

export function peerOf(c: Connection, e: Endpoint): Endpoint {
  return e === c.client ? c.server : c.client;
}
