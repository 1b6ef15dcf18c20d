/**
 * Where on the path a capture was taken, as one connection's handshake shows it. The capture point
 * sees the SYN, then the server's SYN,ACK after the round trip between it and the server, then the
 * client's ACK after the round trip between it and the client: the nearer side answers sooner. A
 * TTL (hop limit) that arrives at its initial value (64, 128 or 255) was not routed on the way: its
 * sender is on the capture point's own link or host.
 */
export const enum Vantage {
  Unknown = 0,
  NearClient = 1,
  NearServer = 2,
  Between = 3,
}

export const VANTAGE_NAMES = ['unknown', 'near the client', 'near the server', 'in between'] as const;
/** JSON's names. */
export const VANTAGE_KEYS = [null, 'client', 'server', 'between'] as const;

/** Round trips below this (seconds) are host and link noise, not distance. */
const RTT_FLOOR = 200e-6;
/** One side's round trip must be this many times the other's to say the capture is near the faster. */
const RTT_RATIO = 4;

/** Hops a packet took from its sender, taking the initial TTL as the next of 64, 128, 255 at or above it; -1 unknown. */
export function hopsOf(ttl: number): number {
  if (ttl <= 0) return -1;
  return (ttl <= 64 ? 64 : ttl <= 128 ? 128 : 255) - ttl;
}

/**
 * The estimate from the handshake's two round trips at the capture point (seconds, -1 unknown) and
 * the TTL each side's first segment arrived with (0 unknown). Hops decide when they differ; else timing.
 */
export function vantageOf(serverRtt: number, clientRtt: number, clientTtl: number, serverTtl: number): Vantage {
  const ch = hopsOf(clientTtl);
  const sh = hopsOf(serverTtl);
  if (ch >= 0 && sh >= 0 && ch !== sh) {
    if (ch === 0) return Vantage.NearClient;
    if (sh === 0) return Vantage.NearServer;
  }
  if (serverRtt < 0 || clientRtt < 0 || Math.max(serverRtt, clientRtt) < RTT_FLOOR) {
    return ch > 0 && sh > 0 ? Vantage.Between : Vantage.Unknown;
  }
  if (serverRtt * RTT_RATIO <= clientRtt) return Vantage.NearServer;
  if (clientRtt * RTT_RATIO <= serverRtt) return Vantage.NearClient;
  return Vantage.Between;
}
