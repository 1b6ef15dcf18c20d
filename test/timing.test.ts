import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../src/index.js';
import { conns } from './helpers/build.js';
import { casesIn, ROOT } from './golden/cases.js';

/**
 * timing.handshakeRtt is Wireshark's tcp.analysis.initial_rtt (the first SYN to the ACK that
 * completes the handshake), to the microsecond: every stream tshark computes one for
 * (test/golden/tshark-irtt.json, by test/golden/make-irtt-golden.sh) is a connection of ours that
 * begins with the same frame and has the same round trip.
 */
const GOLDEN = JSON.parse(readFileSync(join(ROOT, 'test/golden/tshark-irtt.json'), 'utf8')) as {
  tshark: string; files: Record<string, Record<string, string>>;
};

describe('timing.handshakeRtt equals tshark\'s tcp.analysis.initial_rtt (test/golden/tshark-irtt.json)', () => {
  let compared = 0;
  for (const file of casesIn('tshark-irtt')) {
    const want = GOLDEN.files[file]!;
    // tshark leaves FabricPath copies and GTP-U TCP out of its TCP analysis (see conversations.test.ts).
    if (/cisco-fabric-path|gtp2_/.test(file) || Object.keys(want).length === 0) continue;
    it(file, async () => {
      const byFirst = new Map(conns(await analyze([join(ROOT, file)])).map((c) => [c.firstPacket, c]));
      for (const [frame, rtt] of Object.entries(want)) {
        const c = byFirst.get(Number(frame));
        expect(c, `${file}: no connection begins with frame ${frame}`).toBeDefined();
        expect(c!.timing.handshakeRtt?.toFixed(6), `${file}: the connection of frame ${frame}`).toBe(Number(rtt).toFixed(6));
        compared++;
      }
    });
  }
  it('compared every stream', () => {
    expect(compared).toBe(Object.values(GOLDEN.files).reduce((n, f) => n + Object.keys(f).length, 0) -
      Object.entries(GOLDEN.files).filter(([f]) => /cisco-fabric-path|gtp2_/.test(f)).reduce((n, [, f]) => n + Object.keys(f).length, 0));
  });
});

interface TiRow { state: string; local: string; peer: string; ti?: { rtt_ms?: number; retrans_total?: number } }
interface Truth { hosts: Record<string, { ss: TiRow[] }>; induced: { rtt_ms: number; server_sleep_ms?: number } }

/** A capture made through the delaying relay (captures/make/make-timing.sh), with its kernel truth, by client port. */
async function delayedCapture(name: string) {
  const truth = JSON.parse(readFileSync(join(ROOT, `captures/${name}.truth.json`), 'utf8')) as Truth;
  const report = await analyze([join(ROOT, `captures/${name}.pcap`)]);
  const client = (port: number) => truth.hosts.client!.ss.find((r) => r.local.endsWith(`:${port}`));
  return { truth, connections: conns(report), client };
}

describe('timing against the delays and losses induced, and the kernels\' ss -ti', () => {
  it('delayed.pcap: round trips within 10% of the 40 ms induced and of ss; first byte within 5% of the server\'s 150 ms', async () => {
    const { truth, connections, client } = await delayedCapture('delayed');
    expect(connections).toHaveLength(3);
    for (const c of connections) {
      const t = c.timing;
      const rtt = truth.induced.rtt_ms / 1000;
      for (const v of [t.handshakeRtt!, t.rtt!.min, t.rtt!.p50, t.rtt!.max]) expect(Math.abs(v - rtt) / rtt).toBeLessThan(0.1);
      expect(Math.abs(t.rtt!.p50 * 1000 - client(c.client.port)!.ti!.rtt_ms!) / client(c.client.port)!.ti!.rtt_ms!).toBeLessThan(0.1);
      expect(t.rtt!.samples).toBeGreaterThan(20);
      // The capture is beside the client: its first byte to the server's first is the server's think time and the path's round trip.
      const sleep = truth.induced.server_sleep_ms! / 1000;
      expect(Math.abs(t.firstByte! - t.serverRtt! - sleep) / sleep).toBeLessThan(0.05);
      expect(t.stalled.application).toBeGreaterThan(sleep);
      expect(t.rto.map((r) => r.count)).toEqual([0, 0]);
    }
  });

  it('rto-backoff.pcap: every retransmission timeout the client\'s kernel counted, in one run', async () => {
    const { connections, client } = await delayedCapture('rto-backoff');
    const [c] = connections;
    const kernel = client(c!.client.port)!.ti!.retrans_total!;
    expect(kernel).toBe(5);
    expect(c!.timing.rto[0]).toMatchObject({ count: kernel, backoff: kernel });
    // The timer backed off to 1.98 s between the last two copies (captures/README.md).
    expect(c!.timing.rto[0].longestInterval).toBeCloseTo(1.984, 2);
    expect(c!.timing.rto[1].count).toBe(0);
  });

  it('slow-handshake.pcap: the SYN sent again is a timeout (the kernel\'s retrans), and the server\'s side of the handshake is not measured (Karn)', async () => {
    const { truth, connections, client } = await delayedCapture('slow-handshake');
    expect(connections).toHaveLength(2);
    for (const c of connections) {
      expect(c.timing.rto[0].count).toBe(client(c.client.port)!.ti!.retrans_total);
      expect(c.timing.serverRtt).toBeNull();
      // Wireshark's initial RTT is from the SYN sent again.
      const rtt = truth.induced.rtt_ms / 1000;
      expect(Math.abs(c.timing.handshakeRtt! - rtt) / rtt).toBeLessThan(0.1);
      expect(Math.abs(c.timing.rtt!.p50 - rtt) / rtt).toBeLessThan(0.1);
      expect(c.timing.maxIdle).toBeGreaterThan(1);
    }
  });

  it('lossy.pcap: the server\'s retransmissions are counted, and every round trip sampled is the path\'s (Karn, timestamps)', async () => {
    const { truth, connections } = await delayedCapture('lossy');
    expect(connections).toHaveLength(20);
    const rtt = truth.induced.rtt_ms / 1000;
    for (const c of connections) {
      expect(Math.abs(c.timing.rtt!.min - rtt) / rtt).toBeLessThan(0.1);
      // The relay's delay varies by a few milliseconds from one connection to the next: its handshake's is the reference.
      expect(Math.abs(c.timing.rtt!.p50 - c.timing.handshakeRtt!) / c.timing.handshakeRtt!).toBeLessThan(0.1);
      // A delayed ACK makes a sample longer; one from a first copy to the ACK of a copy sent again
      // would be a retransmission timeout long (200 ms at least on Linux).
      expect(c.timing.rtt!.max).toBeLessThan(0.1);
    }
    expect(connections.reduce((n, c) => n + c.server.analysis.retransmissions, 0)).toBeGreaterThan(10);
  });
});
