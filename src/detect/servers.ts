import { type Connection, endedNormally } from '../tcp/connection.js';
import { STATE_COUNT, TcpState } from '../tcp/state.js';
import { endpointKey, LastLookup } from './finding.js';

/** Server endpoints followed at most: past it (a scan of a million ports), the rest are counted together. */
export const MAX_SERVERS = 4096;

/**
 * Round trips and first bytes are counted in buckets a quarter of a power of two wide (each 19% wider
 * than the one before), from a microsecond up: a percentile is its bucket's middle, within 9% of the
 * true value, in a fixed 1 KB per server endpoint whatever the number of connections.
 */
const BUCKETS = 128;
const PER_OCTAVE = 4;
const FLOOR = 1e-6;

function bucketOf(seconds: number): number {
  if (seconds <= FLOOR) return 0;
  return Math.min(BUCKETS - 1, Math.floor(Math.log2(seconds / FLOOR) * PER_OCTAVE) + 1);
}

/** The middle of bucket `b` (geometric), in seconds. */
function bucketMiddle(b: number): number {
  if (b === 0) return FLOOR;
  return FLOOR * 2 ** ((b - 0.5) / PER_OCTAVE);
}

/** The `q` quantile (0..1) of a histogram, or null when it is empty. */
function quantile(h: Uint32Array, total: number, q: number): number | null {
  if (total === 0) return null;
  // The smallest bucket by which at least q of the values have been counted (nearest rank).
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let b = 0; b < BUCKETS; b++) {
    seen += h[b]!;
    if (seen >= rank) return bucketMiddle(b);
  }
  return bucketMiddle(BUCKETS - 1);
}

/** One server endpoint (address and port) over all its connections. */
export interface ServerRow {
  family: 4 | 6;
  a0: number; a1: number; a2: number; a3: number;
  port: number;
  connections: number;
  /** Connections whose client's SYN was captured, and of those the ones whose client got as far as ESTABLISHED. */
  handshakes: { attempted: number; completed: number };
  /** Connections one side aborted by RST (a side counted once per connection). */
  resets: { client: number; server: number };
  /** Percentiles of timing.handshakeRtt and timing.firstByte (bucket middles, within 9%), null where none was measured. */
  handshakeRtt: { p50: number | null; p99: number | null; samples: number };
  firstByte: { p50: number | null; p99: number | null; samples: number };
  /** Segments retransmitted (Wireshark's three kinds, both directions) and all segments. */
  retransmissions: number;
  packets: number;
  /** Connections that did not end normally, and the end-state pairs (client, server) with their counts, most first. */
  abnormal: number;
  endStates: { client: TcpState; server: TcpState; count: number }[];
}

/** What the server table holds: the endpoints, worst first, and what did not fit. */
export interface ServerTableReport {
  rows: ServerRow[];
  /** Endpoints past MAX_SERVERS, and their connections (counted, not listed). */
  omitted: { servers: number; connections: number };
}

class ServerAccumulator {
  connections = 0;
  attempted = 0;
  completed = 0;
  resetsClient = 0;
  resetsServer = 0;
  retransmissions = 0;
  packets = 0;
  abnormal = 0;
  handshakeSamples = 0;
  firstByteSamples = 0;
  readonly handshake = new Uint32Array(BUCKETS);
  readonly firstByte = new Uint32Array(BUCKETS);
  readonly states = new Uint32Array(STATE_COUNT * STATE_COUNT);

  constructor(readonly family: 4 | 6, readonly a0: number, readonly a1: number, readonly a2: number, readonly a3: number, readonly port: number) {}
}

/**
 * Connections by server endpoint, as they leave the table (analyze's "by server" section): counts,
 * handshakes, resets, round-trip and first-byte percentiles, retransmissions and end states. Fed
 * in one order whatever the threads (the connection stage's), and order does not change it.
 */
export class ServerTable {
  private readonly byKey = new Map<number | string, ServerAccumulator>();
  private omittedServers = new Set<number | string>();
  private omittedConnections = 0;
  private readonly last = new LastLookup<ServerAccumulator>();

  connection(c: Connection): void {
    const sv = c.server;
    const cl = c.client;
    // A busy server's connections come one after another: the last one's row, without a key.
    let a: ServerAccumulator | undefined = this.last.is(sv) && this.last.value!.family === c.family ? this.last.value! : undefined;
    const key = a === undefined ? endpointKey(c.family, sv) : 0;
    if (a === undefined) a = this.byKey.get(key);
    if (a === undefined) {
      if (this.byKey.size >= MAX_SERVERS) {
        // A bounded set of the omitted keys too: past it they are only connections.
        if (this.omittedServers.size < MAX_SERVERS) this.omittedServers.add(key);
        this.omittedConnections++;
        return;
      }
      a = new ServerAccumulator(c.family, sv.a0, sv.a1, sv.a2, sv.a3, sv.port);
      this.byKey.set(key, a);
    }
    this.last.remember(sv, a);
    a.connections++;
    if (!c.roleInferred && cl.hasVisited(TcpState.SYN_SENT)) {
      a.attempted++;
      if (cl.hasVisited(TcpState.ESTABLISHED)) a.completed++;
    }
    if (cl.sentRst) a.resetsClient++;
    if (sv.sentRst) a.resetsServer++;
    a.retransmissions += cl.retransmissions + sv.retransmissions;
    a.packets += cl.packets + sv.packets;
    if (!endedNormally(c)) a.abnormal++;
    a.states[cl.state * STATE_COUNT + sv.state]!++;
    const hs = c.irtt;
    if (hs > 0) {
      a.handshake[bucketOf(hs)]!++;
      a.handshakeSamples++;
    }
    const fb = c.firstByte();
    if (fb >= 0) {
      a.firstByte[bucketOf(fb)]!++;
      a.firstByteSamples++;
    }
  }

  /**
   * The endpoints, those with the most problems first: connections that did not end normally, were
   * reset or never completed their handshake; then the larger share retransmitted, then more
   * connections, then by address and port. The same capture always gives the same order.
   */
  report(): ServerTableReport {
    const rows: ServerRow[] = [];
    for (const a of this.byKey.values()) {
      const endStates: ServerRow['endStates'] = [];
      for (let k = 0; k < a.states.length; k++) {
        if (a.states[k]) endStates.push({ client: Math.floor(k / STATE_COUNT) as TcpState, server: (k % STATE_COUNT) as TcpState, count: a.states[k]! });
      }
      endStates.sort((x, y) => y.count - x.count || x.client - y.client || x.server - y.server);
      rows.push({
        family: a.family, a0: a.a0, a1: a.a1, a2: a.a2, a3: a.a3, port: a.port,
        connections: a.connections,
        handshakes: { attempted: a.attempted, completed: a.completed },
        resets: { client: a.resetsClient, server: a.resetsServer },
        handshakeRtt: { p50: quantile(a.handshake, a.handshakeSamples, 0.5), p99: quantile(a.handshake, a.handshakeSamples, 0.99), samples: a.handshakeSamples },
        firstByte: { p50: quantile(a.firstByte, a.firstByteSamples, 0.5), p99: quantile(a.firstByte, a.firstByteSamples, 0.99), samples: a.firstByteSamples },
        retransmissions: a.retransmissions,
        packets: a.packets,
        abnormal: a.abnormal,
        endStates,
      });
    }
    rows.sort(byProblems);
    return { rows, omitted: { servers: this.omittedServers.size, connections: this.omittedConnections } };
  }
}

/** How many of a server endpoint's connections went wrong: not ended normally, reset, or no handshake completed. */
export function serverProblems(r: ServerRow): number {
  return r.abnormal + r.resets.client + r.resets.server + (r.handshakes.attempted - r.handshakes.completed);
}

export function retransmissionShare(r: ServerRow): number {
  return r.packets === 0 ? 0 : r.retransmissions / r.packets;
}

function byProblems(x: ServerRow, y: ServerRow): number {
  return serverProblems(y) - serverProblems(x) || retransmissionShare(y) - retransmissionShare(x) || y.connections - x.connections ||
    x.family - y.family || (x.a0 >>> 0) - (y.a0 >>> 0) || (x.a1 >>> 0) - (y.a1 >>> 0) || (x.a2 >>> 0) - (y.a2 >>> 0) || (x.a3 >>> 0) - (y.a3 >>> 0) ||
    x.port - y.port;
}
