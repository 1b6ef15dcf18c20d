import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, DEFAULT_CONFIG, mergeConfig, printCapture, type Report, type ReportFinding, setThreshold, STATE_NAMES } from '../src/index.js';
import { analyzeSegs, buildPcap, conns, memoryInput, type Seg } from './helpers/build.js';
import { findingSentence, placeName } from '../src/report/sentences.js';

const CAP = join(import.meta.dirname, '..', 'captures');

async function report(name: string, detect = DEFAULT_CONFIG): Promise<Report> {
  return analyze([join(CAP, name)], { detect });
}

function ofKind(r: Report, kind: string): ReportFinding[] {
  return r.findings.filter((f) => f.kind === kind);
}

/** The line `tcpstate print` shows for each packet number (print is held to tcpdump's output line for line elsewhere). */
async function printLines(name: string): Promise<Map<number, string>> {
  const lines = new Map<number, string>();
  await printCapture([join(CAP, name)], {}, (line, packet) => lines.set(packet, line.trimEnd()));
  return lines;
}

/**
 * Each kind on the real capture made for it (captures/make/make-captures.sh): kind, severity,
 * endpoint, how many connections, and counts specific to the kind.
 */
const CASES: { capture: string; kind: string; severity: string; endpoint: string; connections: number; counts?: Record<string, unknown>; summary?: RegExp }[] = [
  { capture: 'syn-flood.pcap', kind: 'syn_flood', severity: 'critical', endpoint: '10.77.0.2:8080', connections: 5002,
    counts: { syns: 5006, spoofed: true, synAcked: 9, neverAnsweredSynAck: 9, completedHandshakes: 1, unanswered: 4993 },
    summary: /^10\.77\.0\.2:8080 received 5,006 SYNs whose handshakes never completed, from 4,\d{3} sources .*1 of its 5,003 handshakes completed \(0\.02%\).*look spoofed/ },
  { capture: 'server-never-closes.pcap', kind: 'close_wait_leak', severity: 'warning', endpoint: '10.77.0.2:8080', connections: 2,
    counts: { side: 'server', atEnd: 2, pastThreshold: 1 }, summary: /left 2 connections in CLOSE_WAIT/ },
  { capture: 'mixed.pcap', kind: 'close_wait_leak', severity: 'warning', endpoint: '10.77.0.2:8080', connections: 3,
    counts: { side: 'server', atEnd: 3, pastThreshold: 3 } },
  { capture: 'server-never-closes.pcap', kind: 'fin_wait_2_stuck', severity: 'info', endpoint: '10.77.0.2:8080', connections: 2,
    counts: { side: 'client', atEnd: 2 } },
  { capture: 'refused.pcap', kind: 'connection_refused', severity: 'warning', endpoint: '10.77.0.2:8080', connections: 1 },
  { capture: 'abort-linger0.pcap', kind: 'reset', severity: 'info', endpoint: '10.77.0.2:8080', connections: 1,
    counts: { resetBy: 'client', inWindow: 1, clientBytes: 11, serverBytes: 9 },
    summary: /^The client reset a connection with 10\.77\.0\.2:8080 in ESTABLISHED\/ESTABLISHED \(client\/server\) after 11 bytes from the client and 9 from the server; the RST was in window\.$/ },
  { capture: 'final-ack-dropped.pcap', kind: 'last_ack_lost', severity: 'warning', endpoint: '10.77.0.2:8080', connections: 1,
    counts: { side: 'server', atEnd: 1 } },
  { capture: 'fin-wait-1-stuck.pcap', kind: 'fin_wait_1_stuck', severity: 'warning', endpoint: '10.77.0.2:8080', connections: 1,
    counts: { side: 'client', atEnd: 1 } },
  { capture: 'half-open.pcap', kind: 'half_open', severity: 'warning', endpoint: '10.77.0.2:8080', connections: 1,
    counts: { cause: 'unanswered', serverOpen: 1 } },
  { capture: 'handshake-ack-lost.pcap', kind: 'half_open', severity: 'warning', endpoint: '10.77.0.2:8080', connections: 1,
    counts: { cause: 'handshake_ack_lost', clientOpen: 1 } },
  { capture: 'peer-reset.pcap', kind: 'half_open', severity: 'warning', endpoint: '10.77.0.2:8080', connections: 1,
    counts: { cause: 'peer_lost_connection', serverOpen: 1 } },
  { capture: 'simultaneous-close.pcap', kind: 'simultaneous_close', severity: 'info', endpoint: '10.77.0.2:8080', connections: 1,
    counts: { bothTimeWait: 1 } },
  { capture: 'time-wait-pileup.pcap', kind: 'time_wait_pileup', severity: 'info', endpoint: '10.77.0.2:8080', connections: 8,
    counts: { peak: 8, atEnd: 8 } },
  { capture: 'syn-dropped.pcap', kind: 'syn_unanswered', severity: 'warning', endpoint: '10.77.0.2:8080', connections: 1,
    counts: { syns: 4, retransmissions: 3 } },
  // The SYN,ACKs the capture saw were all dropped in the client: it ends in SYN_SENT, as ss showed.
  { capture: 'synack-lost.pcap', kind: 'syn_unanswered', severity: 'warning', endpoint: '10.77.0.2:8080', connections: 1,
    counts: { syns: 5, retransmissions: 4, synAcksLost: 1 }, summary: /each answered by SYN,ACKs that were lost on their way to the client, which stayed in SYN_SENT\.$/ },
  // The FINs crossed and the later packets were lost: both sides end in CLOSING (ss: CLOSING on both), not TIME_WAIT.
  { capture: 'crossing-fins-lost.pcap', kind: 'simultaneous_close', severity: 'info', endpoint: '10.77.0.2:8080', connections: 1,
    counts: { closingAtEnd: 1 }, summary: /\(FIN_WAIT_1 → CLOSING\); it is still in CLOSING at the end of the capture: the ACKs of the FINs did not arrive\.$/ },
  // The server stopped reading; the capture (3.97 s) ends with its window still closed: reported, below the 5 s threshold as info.
  { capture: 'fin-zero-window.pcap', kind: 'zero_window_stall', severity: 'info', endpoint: '10.77.0.2:8080', connections: 1,
    counts: { side: 'server', atEnd: 1, probes: 4 } },
  // The relay dropped each client's first SYN (captures/make/make-timing.sh): sent again 1.03 s later, then answered.
  { capture: 'slow-handshake.pcap', kind: 'slow_handshake', severity: 'info', endpoint: '10.79.0.2:8080', connections: 2,
    counts: { synRetransmissions: 2, synAckRetransmissions: 0 }, summary: /^2 handshakes with 10\.79\.0\.2:8080 completed slowly \(2 SYNs sent again;/ },
  // The SYN,ACKs lost twice on their way to the client: it sent its SYN twice more, and the handshake completed.
  { capture: 'synack-lost-twice.pcap', kind: 'slow_handshake', severity: 'info', endpoint: '10.77.0.2:8080', connections: 1,
    counts: { synRetransmissions: 2 } },
  // Everything from the client dropped after its request: its write sent five times, the timer backing off to 1.98 s (ss: retrans 5).
  { capture: 'rto-backoff.pcap', kind: 'rto_backoff', severity: 'warning', endpoint: '10.79.0.2:8080', connections: 1,
    counts: { side: 'client', timeouts: 5, maxInARow: 5, longestInterval: 1.984017 } },
  // 8% of the server's data segments dropped by the relay: 22 retransmissions in 969 segments.
  { capture: 'lossy.pcap', kind: 'high_retransmission', severity: 'warning', endpoint: '10.79.0.2:8080', connections: 17,
    counts: { retransmissions: 22, packets: 969, serverConnections: 20 }, summary: /^2\.3% of the segments to and from 10\.79\.0\.2:8080 were retransmissions/ },
];

describe('each finding kind on the real capture made for it', () => {
  for (const k of CASES) {
    it(`${k.kind} on ${k.capture}`, async () => {
      const r = await report(k.capture);
      const found = ofKind(r, k.kind);
      expect(found.map((f) => f.endpoint)).toEqual([k.endpoint]);
      const f = found[0]!;
      expect(f.severity).toBe(k.severity);
      expect(f.counts.connections).toBe(k.connections);
      expect(f.connections.length).toBe(Math.min(k.connections, DEFAULT_CONFIG.connectionIds));
      if (k.counts) expect(f.counts).toMatchObject(k.counts);
      if (k.summary) expect(f.summary).toMatch(k.summary);
      expect(f.evidence.length).toBeGreaterThan(0);
      expect(f.evidence.length).toBeLessThanOrEqual(DEFAULT_CONFIG.evidence);
      // Evidence is the print line of that very packet: checkable with tcpdump -nn -r.
      const lines = await printLines(k.capture);
      for (const e of f.evidence) expect(e.line).toBe(lines.get(e.packet));
      const packets = f.evidence.map((e) => e.packet);
      expect(packets).toEqual([...packets].sort((a, b) => a - b));
    });
  }

  it('the flood\'s evidence shows the SYNs and the server\'s SYN,ACK retransmissions', async () => {
    const f = ofKind(await report('syn-flood.pcap'), 'syn_flood')[0]!;
    expect(f.evidence.filter((e) => /Flags \[S\],/.test(e.line)).length).toBeGreaterThanOrEqual(4);
    // A spoofed source never had a socket: the SYN,ACK leaves it in SYN_SENT, and its server side had no TCB before it.
    expect(f.evidence.some((e) => /Flags \[S\.\],.*client SYN_SENT  server CLOSED→SYN_RCVD$/.test(e.line))).toBe(true);
    expect(f.evidence.some((e) => /client (\S+→)?ESTABLISHED/.test(e.line))).toBe(false);
    expect(f.counts.windowRate).toBeGreaterThanOrEqual(DEFAULT_CONFIG.synFlood.criticalRate);
    expect(f.counts.synAckRetransmissions).toBeGreaterThan(0);
    // The flood's unanswered SYNs and half-open handshakes are reported inside it, not once more per kind.
    const r = await report('syn-flood.pcap');
    expect(r.findings.filter((x) => x.endpoint === '10.77.0.2:8080').map((x) => x.kind).sort()).toEqual(['syn_flood', 'time_wait_pileup']);
  });

  it('the evidence of a CLOSE_WAIT leak is the FIN and the ACK that the leaking side sent for it', async () => {
    const f = ofKind(await report('server-never-closes.pcap'), 'close_wait_leak')[0]!;
    expect(f.evidence.map((e) => e.line.replace(/^.*Flags (\[[^\]]+\]).*  client (\S+)  server (\S+)$/, '$1 $2 $3'))).toEqual([
      '[F.] ESTABLISHED→FIN_WAIT_1 ESTABLISHED→CLOSE_WAIT', '[.] FIN_WAIT_1→FIN_WAIT_2 CLOSE_WAIT',
      '[F.] ESTABLISHED→FIN_WAIT_1 ESTABLISHED→CLOSE_WAIT', '[.] FIN_WAIT_1→FIN_WAIT_2 CLOSE_WAIT',
    ]);
  });
});

describe('evidence lines are print lines, whatever the input', () => {
  // Packets of a pcap or pcapng file are read again by offset to print them; from gzip or a stream their headers are copied.
  const files = readdirSync(CAP).filter((f) => /\.(pcap|pcapng|gz)$/.test(f)).sort();
  for (const file of files) {
    it(file, async () => {
      const r = await report(file);
      const lines = await printLines(file);
      // A VXLAN segment's line follows its tunnel's in print; an evidence line is one line, the two joined by ': '.
      for (const f of r.findings) for (const e of f.evidence) expect(e.line, `${f.kind} packet ${e.packet}`).toBe(lines.get(e.packet)?.replace('\n', ': '));
    });
  }

  it('a capture read from a stream', async () => {
    const bytes = readFileSync(join(CAP, 'mixed.pcap'));
    const r = await analyze([memoryInput('stdin', bytes)]);
    const lines = await printLines('mixed.pcap');
    expect(r.findings.length).toBe(5);
    for (const f of r.findings) for (const e of f.evidence) expect(e.line).toBe(lines.get(e.packet));
  });
});

describe('several problems at once among a few hundred normal connections', () => {
  it('mixed.pcap: each problem once, on its endpoint, and none of the ordinary connections in any finding', async () => {
    const r = await report('mixed.pcap');
    expect(r.summary.connections).toBeGreaterThan(300);
    const got = r.findings.map((f) => `${f.severity} ${f.kind} ${f.endpoint} ${f.counts.connections}`);
    expect(got).toEqual([
      'warning connection_refused 10.77.0.2:8081 4',
      'warning close_wait_leak 10.77.0.2:8080 3',
      'warning syn_unanswered 10.77.0.2:8082 2',
      'info reset 10.77.0.2:8080 2',
      'info fin_wait_2_stuck 10.77.0.2:8080 3',
    ]);
    const inFindings = new Set(r.findings.flatMap((f) => f.connections));
    const normal = conns(r).filter((c) => c.normalEnd);
    expect(normal.length).toBeGreaterThan(300);
    for (const c of normal) expect(inFindings.has(c.id)).toBe(false);
  });
});

describe('silence on normal traffic', () => {
  const NORMAL = ['normal-traffic.pcap', 'client-closes-first.pcap', 'server-closes-first.pcap', 'ipv6.pcap', 'pcapng.pcapng',
    'any-sll.pcap', 'any-sll2.pcap', 'vlan.pcap', 'qinq.pcap', 'two-interfaces.pcapng', 'time-wait-pileup.pcap'];
  for (const name of NORMAL) {
    it(`${name}: no warning or critical finding`, async () => {
      const r = await report(name);
      expect(r.findings.filter((f) => f.severity !== 'info').map((f) => f.summary)).toEqual([]);
      expect(r.findings.every((f) => f.kind === 'time_wait_pileup')).toBe(true);
    });
  }

  it('normal-traffic.pcap: 40 connections (keep-alive, bulk, IPv6, either side closing), no retransmission', async () => {
    const r = await report('normal-traffic.pcap');
    expect(r.summary.connections).toBe(40);
    expect(r.summary.abnormal).toBe(0);
    expect(conns(r).every((c) => c.client.analysis.retransmissions === 0 && c.server.analysis.retransmissions === 0)).toBe(true);
  });
});

describe('nothing abnormal is dropped for being short', () => {
  const OPEN = new Set(['CLOSE_WAIT', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSING', 'LAST_ACK']);
  const files = readdirSync(CAP).filter((f) => /\.(pcap|pcapng)$/.test(f)).sort();
  for (const file of files) {
    it(`${file}: every connection ending in a closing state, or half-open, is in a finding`, async () => {
      const r = await report(file);
      const inFindings = new Set(r.findings.flatMap((f) => f.connections));
      for (const c of conns(r)) {
        const a = STATE_NAMES[c.client.state]!;
        const b = STATE_NAMES[c.server.state]!;
        const halfOpen = (a === 'ESTABLISHED' && b === 'SYN_RCVD') || (a === 'SYN_RCVD' && b === 'ESTABLISHED');
        if (OPEN.has(a) || OPEN.has(b) || halfOpen) expect(inFindings.has(c.id), `#${c.id} ${a}/${b}`).toBe(true);
      }
    });
  }
});

describe('thresholds set severity, not whether a finding is reported', () => {
  it('a longer CLOSE_WAIT threshold makes the leak info (still reported), a critical count of 2 critical', async () => {
    const base = ofKind(await report('server-never-closes.pcap'), 'close_wait_leak')[0]!;
    expect(base.severity).toBe('warning');
    const info = ofKind(await report('server-never-closes.pcap', setThreshold(DEFAULT_CONFIG, 'closeWait.seconds=60')), 'close_wait_leak')[0]!;
    expect(info.severity).toBe('info');
    expect(info.counts).toMatchObject({ connections: 2, atEnd: 2, pastThreshold: 0 });
    const crit = mergeConfig(DEFAULT_CONFIG, { closeWait: { seconds: 1, critical: 2 } }, 'test');
    expect(ofKind(await report('server-never-closes.pcap', crit), 'close_wait_leak')[0]!.severity).toBe('critical');
  });

  it('a flood threshold above the capture\'s rate: no flood, and the failed handshakes are reported by kind', async () => {
    const r = await report('syn-flood.pcap', setThreshold(DEFAULT_CONFIG, 'synFlood.rate=5000'));
    expect(ofKind(r, 'syn_flood')).toEqual([]);
    expect(ofKind(r, 'syn_unanswered')[0]!.counts.connections).toBe(4993);
    // The spoofed sources the server answered never answered back: no socket, not a lost ACK.
    expect(ofKind(r, 'half_open')[0]!.counts).toMatchObject({ cause: 'syn_ack_unanswered', connections: 9, serverOpen: 9 });
  });

  it('rejects unknown names and bad values with the name in the message', () => {
    expect(() => setThreshold(DEFAULT_CONFIG, 'closeWait.secs=1')).toThrow(/unknown setting "closeWait.secs"/);
    expect(() => setThreshold(DEFAULT_CONFIG, 'closeWait.seconds=-1')).toThrow(/"closeWait.seconds" must be a non-negative number/);
    expect(() => mergeConfig(DEFAULT_CONFIG, { reset: 3 }, 'f.json')).toThrow(/f.json: "reset" must be an object/);
    expect(() => mergeConfig(DEFAULT_CONFIG, [], 'f.json')).toThrow(/expected a JSON object/);
  });

  it('the defaults the README documents', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    for (const [group, value] of Object.entries(DEFAULT_CONFIG)) {
      if (typeof value === 'number') expect(readme).toContain(`| \`${group}\` | ${value} |`);
      else for (const [k, v] of Object.entries(value)) expect(readme).toContain(`| \`${group}.${k}\` | ${v} |`);
    }
  });
});

describe('port_scan (byte-built: no scan is made from this machine)', () => {
  /** 10.9.9.9 sends a SYN to `ports` ports of 10.0.0.5; closed ports answer RST, port 22 answers SYN,ACK. */
  function scan(ports: number): Seg[] {
    const segs: Seg[] = [];
    const cip = [10, 9, 9, 9];
    const sip = [10, 0, 0, 5];
    for (let i = 0; i < ports; i++) {
      const t = 1000 + i * 0.01;
      const sport = 20 + i;
      segs.push({ t, from: 'c', cip, sip, sport, flags: 'S', seq: 1000 + i });
      segs.push({ t: t + 0.001, from: 's', cip, sip, sport, flags: sport === 22 ? 'S.' : 'R.', seq: sport === 22 ? 5000 : 0, ack: 1001 + i });
    }
    return segs;
  }

  it('30 ports from one source: a port_scan warning, and the refusals folded into it', async () => {
    const r = await analyzeSegs(scan(30));
    expect(r.findings.map((f) => `${f.severity} ${f.kind} ${f.endpoint}`)).toEqual(['warning port_scan 10.9.9.9']);
    const f = r.findings[0]!;
    expect(f.counts).toMatchObject({ connections: 30, targets: 30, ports: 30, hosts: 1, failed: 30 });
    expect(f.summary).toMatch(/^10\.9\.9\.9 sent SYNs to 30 distinct targets within 60 s \(30 ports on 1 host/);
    expect(f.evidence.length).toBe(10);
  });

  it('below the threshold: no scan, each refused port reported on its own', async () => {
    const r = await analyzeSegs(scan(5));
    expect(r.findings.map((f) => f.kind)).toEqual(Array(4).fill('connection_refused').concat(['half_open']));
  });
});

describe('fin_wait_1_stuck behind a zero window (byte-built)', () => {
  it('names the zero window the peer advertised when the FIN went unacknowledged', async () => {
    const r = await analyzeSegs([
      { t: 1, from: 'c', flags: 'S', seq: 100 },
      { t: 1.001, from: 's', flags: 'S.', seq: 500, ack: 101 },
      { t: 1.002, from: 'c', flags: '.', seq: 101, ack: 501 },
      { t: 1.003, from: 'c', flags: 'P.', seq: 101, ack: 501, len: 1000 },
      { t: 1.004, from: 's', flags: '.', seq: 501, ack: 1101, win: 0 },
      { t: 1.005, from: 'c', flags: 'F.', seq: 1101, ack: 501 },
      { t: 1.205, from: 'c', flags: 'F.', seq: 1101, ack: 501 },
      { t: 1.605, from: 'c', flags: 'F.', seq: 1101, ack: 501 },
    ]);
    const f = ofKind(r, 'fin_wait_1_stuck')[0]!;
    expect(f.severity).toBe('warning');
    expect(f.counts).toMatchObject({ side: 'client', atEnd: 1, finRetransmissions: 2, peerZeroWindow: 1 });
    expect(f.summary).toMatch(/the server advertised a zero window: the FIN is held behind it/);
    expect(f.evidence.map((e) => e.packet)).toEqual([5, 6, 7, 8]);
    const c = conns(r)[0]!;
    expect(c.server.analysis.zeroWindows).toBe(1);
    expect(c.client.analysis.retransmissions).toBe(2);
  });
});

describe('memory of the detector stage', () => {
  it('frees every evidence slot when connections leave the table', async () => {
    const segs: Seg[] = [];
    for (let i = 0; i < 200; i++) {
      const t = 100 + i;
      const cport = 30000 + i;
      segs.push({ t, from: 'c', cport, flags: 'S', seq: 1 });
      segs.push({ t: t + 0.001, from: 's', cport, flags: 'S.', seq: 100, ack: 2 });
      segs.push({ t: t + 0.002, from: 'c', cport, flags: 'F.', seq: 2, ack: 101 });
      segs.push({ t: t + 0.003, from: 's', cport, flags: 'F.', seq: 101, ack: 3 });
      segs.push({ t: t + 0.004, from: 'c', cport, flags: '.', seq: 3, ack: 102 });
    }
    const r = await analyze([memoryInput('closes.pcap', buildPcap(segs))], { msl: 1 });
    expect(r.summary.connections).toBe(200);
    expect(r.findings).toEqual([]);
  });
});

describe('findings are data; the report writes them', () => {
  it('names the place of a finding as the report prints it', () => {
    const v4 = { family: 4 as const, a0: 0x0a4d0002, a1: 0, a2: 0, a3: 0, port: 8080 };
    expect(placeName({ of: 'endpoint', ...v4 })).toBe('10.77.0.2:8080');
    expect(placeName({ of: 'address', ...v4 })).toBe('10.77.0.2');
    expect(placeName({ of: 'endpoint', family: 6, a0: 0x20010db8, a1: 0, a2: 0, a3: 1, port: 443 })).toBe('[2001:db8::1]:443');
    expect(placeName({ of: 'overflow', after: 10_000 })).toBe('(endpoints past the first 10,000)');
    expect(placeName(null)).toBeNull();
  });

  it('writes the sentence from the counts, whatever the detector', () => {
    const f = {
      kind: 'time_wait_pileup' as const, severity: 'info' as const, connections: [1, 2], first: null, last: null, evidence: [],
      endpoint: { of: 'endpoint' as const, family: 4 as const, a0: 0x0a4d0002, a1: 0, a2: 0, a3: 0, port: 80 },
      counts: { connections: 1200, peak: 1150, atEnd: 3 },
    };
    expect(findingSentence(f, { config: DEFAULT_CONFIG, msl: 30 })).toBe(
      'The server 10.77.0.2:80 closed 1,200 connections first and so holds their TIME_WAIT (2MSL = 60 s): up to 1,150 at once, 3 at the end of the capture.');
  });
});

describe('who sent each RST: the peer, or a device on the path (captures/middlebox-rst.pcap)', () => {
  it('the RST the relay forged with its own TTL is a middlebox\'s, the server\'s own abort the peer\'s', async () => {
    const truth = JSON.parse(readFileSync(join(CAP, 'middlebox-rst.truth.json'), 'utf8')) as {
      induced: { forged_rst: { client_port: number; ttl: number }; peer_rst: { client_port: number } };
    };
    const r = await report('middlebox-rst.pcap');
    const byPort = new Map(conns(r).map((c) => [c.client.port, c.id]));
    const resets = ofKind(r, 'reset');
    const forged = resets.find((f) => f.connections.includes(byPort.get(truth.induced.forged_rst.client_port)!))!;
    const own = resets.find((f) => f.connections.includes(byPort.get(truth.induced.peer_rst.client_port)!))!;
    expect(forged.counts).toMatchObject({ resetBy: 'server', origin: 'middlebox' });
    expect(forged.counts.originReason).toMatch(new RegExp(`^TTL ${truth.induced.forged_rst.ttl} where the host's other packets had 64`));
    expect(forged.counts.originReason).toMatch(/no TCP timestamps where the connection uses them/);
    // The relay numbers it 0; the server's own packets of the connection count up from 0x2a8a.
    expect(forged.counts.originReason).toMatch(/an IPv4 ID out of the host's own run/);
    expect(own.counts.originReason).toBe('TTL 64, as the host\'s other packets');
    expect(forged.summary).toMatch(/^A RST claiming to come from the server reset a connection .* a device on the path forged it/);
    expect(own.counts).toMatchObject({ resetBy: 'server', origin: 'peer' });
    expect(forged).not.toBe(own);
  });

  it('every other RST in the repository\'s captures, sent by the kernels themselves, is the peer\'s', async () => {
    for (const name of ['abort-linger0.pcap', 'reset-storm.pcap', 'mixed.pcap', 'data-lost-reset.pcap', 'peer-reset.pcap']) {
      const resets = ofKind(await report(name), 'reset');
      for (const f of resets) expect(f.counts.origin, `${name}: ${f.summary}`).toBe('peer');
    }
  });
});
