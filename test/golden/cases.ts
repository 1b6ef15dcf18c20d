/**
 * Every golden comparison in one table: each capture, and the golden sets that hold it. README.md
 * beside this file says where each set came from and how to make it again. The tests that compare
 * with a set take their captures from here (casesIn), and test/golden.test.ts checks that the
 * table and the files agree: no golden file without its case, no case without its file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const GOLDEN = join(ROOT, 'test', 'golden');

export type GoldenSet = 'tcpdump' | 'tshark-frames' | 'tshark-conv' | 'tshark-analysis' | 'tshark-irtt' | 'tshark-mptcp' | 'reports' | 'markdown';

/** What each set holds for a capture, and which test reads it. */
export const SETS: Record<GoldenSet, { files: (capture: string) => string[]; readBy: string }> = {
  // `tcpdump -nn -r F`, and with -S.
  tcpdump: { files: (c) => [`tcpdump/${flat(c)}.txt`, `tcpdump/${flat(c)}.S.txt`], readBy: 'test/print.test.ts' },
  // tshark's count of frames decoded as TCP: one entry of tshark.json.
  'tshark-frames': { files: () => ['tshark.json'], readBy: 'test/decode.test.ts' },
  // `tshark -q -z conv,tcp`.
  'tshark-conv': { files: (c) => [`tshark-conv/${flat(c)}.txt`], readBy: 'test/conversations.test.ts' },
  // The tcp.analysis.* flags of every flagged frame: one entry of tshark-analysis.json.
  'tshark-analysis': { files: () => ['tshark-analysis.json'], readBy: 'test/analysis.test.ts' },
  // Each TCP stream's tcp.analysis.initial_rtt, by its first frame: one entry of tshark-irtt.json.
  'tshark-irtt': { files: () => ['tshark-irtt.json'], readBy: 'test/timing.test.ts' },
  // tshark's MPTCP connection (mptcp.stream) of each TCP connection (tcp.stream) with MPTCP options.
  'tshark-mptcp': { files: (c) => [`tshark-mptcp/${flat(c)}.txt`], readBy: 'test/mptcp.test.ts' },
  // tcpstate's own text, JSON and Zeek conn.log.
  reports: { files: (c) => ['txt', 'json', 'zeek.txt'].map((x) => `reports/${base(c)}.${x}`), readBy: 'test/reports.test.ts' },
  // tcpstate's own `analyze -f markdown`.
  markdown: { files: (c) => [`markdown/${base(c)}.md`], readBy: 'test/reports.test.ts' },
};

/** The sets the real tools made, which every capture of the repository has. */
const TOOLS: readonly GoldenSet[] = ['tcpdump', 'tshark-frames', 'tshark-conv', 'tshark-analysis', 'tshark-irtt'];

export interface GoldenCase {
  /** From the repository's root. */
  capture: string;
  sets: readonly GoldenSet[];
}

export const GOLDEN_CASES: readonly GoldenCase[] = [
  { capture: 'captures/abort-linger0.pcap', sets: TOOLS },
  { capture: 'captures/any-sll.pcap', sets: TOOLS },
  { capture: 'captures/any-sll2.pcap', sets: TOOLS },
  { capture: 'captures/client-closes-first.pcap', sets: TOOLS },
  { capture: 'captures/crossing-fins-lost.pcap', sets: TOOLS },
  { capture: 'captures/data-lost-reset.pcap', sets: TOOLS },
  { capture: 'captures/fin-lost.pcap', sets: TOOLS },
  { capture: 'captures/fin-wait-1-stuck.pcap', sets: TOOLS },
  { capture: 'captures/fin-zero-window.pcap', sets: TOOLS },
  { capture: 'captures/final-ack-dropped.pcap', sets: TOOLS },
  { capture: 'captures/geneve.pcap', sets: TOOLS },
  { capture: 'captures/port-reuse.pcap', sets: TOOLS },
  { capture: 'captures/gre.pcap', sets: TOOLS },
  { capture: 'captures/half-open.pcap', sets: TOOLS },
  { capture: 'captures/handshake-ack-lost.pcap', sets: TOOLS },
  { capture: 'captures/ipip.pcap', sets: TOOLS },
  { capture: 'captures/ipv6.pcap', sets: TOOLS },
  { capture: 'captures/mixed.pcap', sets: [...TOOLS, 'reports', 'markdown'] },
  { capture: 'captures/mptcp.pcap', sets: [...TOOLS, 'tshark-mptcp'] },
  { capture: 'captures/nanosecond.pcap', sets: TOOLS },
  { capture: 'captures/normal-traffic.pcap', sets: [...TOOLS, 'markdown'] },
  { capture: 'captures/pcapng.pcapng', sets: TOOLS },
  { capture: 'captures/peer-reset.pcap', sets: TOOLS },
  { capture: 'captures/qinq.pcap', sets: TOOLS },
  { capture: 'captures/port-scan.pcap', sets: TOOLS },
  { capture: 'captures/refused.pcap', sets: TOOLS },
  { capture: 'captures/reset-storm.pcap', sets: TOOLS },
  { capture: 'captures/server-closes-first.pcap', sets: TOOLS },
  { capture: 'captures/server-never-closes.pcap', sets: [...TOOLS, 'reports', 'markdown'] },
  { capture: 'captures/server-never-closes.pcap.gz', sets: ['tshark-frames'] },
  { capture: 'captures/simultaneous-close.pcap', sets: TOOLS },
  { capture: 'captures/syn-dropped.pcap', sets: TOOLS },
  { capture: 'captures/syn-flood.pcap', sets: [...TOOLS, 'markdown'] },
  { capture: 'captures/synack-lost-twice.pcap', sets: TOOLS },
  { capture: 'captures/synack-lost.pcap', sets: TOOLS },
  { capture: 'captures/time-wait-pileup.pcap', sets: TOOLS },
  { capture: 'captures/two-interfaces.pcapng', sets: TOOLS },
  { capture: 'captures/two-points-client.pcap', sets: TOOLS },
  { capture: 'captures/two-points-server.pcap', sets: TOOLS },
  { capture: 'captures/vlan.pcap', sets: TOOLS },
  { capture: 'captures/vxlan.pcap', sets: TOOLS },
  { capture: 'captures/delayed.pcap', sets: TOOLS },
  { capture: 'captures/lossy.pcap', sets: TOOLS },
  { capture: 'captures/middlebox-rst.pcap', sets: TOOLS },
  { capture: 'captures/rto-backoff.pcap', sets: TOOLS },
  { capture: 'captures/slow-handshake.pcap', sets: TOOLS },
  { capture: 'captures/zeek/Teredo.pcap', sets: TOOLS },
  { capture: 'captures/zeek/cisco-fabric-path.pcap', sets: TOOLS },
  { capture: 'captures/zeek/concurrent-range-requests.pcap', sets: TOOLS },
  { capture: 'captures/zeek/connect-with-header.pcap', sets: TOOLS },
  { capture: 'captures/zeek/ctu-64702-888.pcap', sets: TOOLS },
  { capture: 'captures/zeek/django-cloud.pcapng', sets: TOOLS },
  { capture: 'captures/zeek/fin_retransmission.pcap', sets: TOOLS },
  { capture: 'captures/zeek/ftp-auth-tls.pcap', sets: TOOLS },
  { capture: 'captures/zeek/get.pcap', sets: TOOLS },
  { capture: 'captures/zeek/gtp2_different_udp_port.pcap', sets: TOOLS },
  { capture: 'captures/zeek/handshake-reorder.pcap', sets: TOOLS },
  { capture: 'captures/zeek/http-on-irc-port-missing-syn.pcapng', sets: TOOLS },
  { capture: 'captures/zeek/http-to-ssh.pcap', sets: TOOLS },
  { capture: 'captures/zeek/https-to-http.pcap', sets: TOOLS },
  { capture: 'captures/zeek/ipv4.pcap', sets: TOOLS },
  { capture: 'captures/zeek/ipv6.pcap', sets: TOOLS },
  { capture: 'captures/zeek/irc-dcc-send.pcapng', sets: TOOLS },
  { capture: 'captures/zeek/irc-starttls.pcap', sets: TOOLS },
  { capture: 'captures/zeek/localhost-bad-chksum.pcap', sets: TOOLS },
  { capture: 'captures/zeek/miss_end_data.pcap', sets: TOOLS },
  { capture: 'captures/zeek/missing-syn.pcap', sets: TOOLS },
  { capture: 'captures/zeek/missing_krbtgt_ldap_request.pcapng', sets: TOOLS },
  { capture: 'captures/zeek/mixed-vlan-mpls.pcap', sets: TOOLS },
  { capture: 'captures/zeek/modbus-and-non-modbus-p502.pcap', sets: TOOLS },
  { capture: 'captures/zeek/modbus-eit.pcap', sets: TOOLS },
  { capture: 'captures/zeek/one-sided-2745.pcap', sets: TOOLS },
  { capture: 'captures/zeek/pop3.pcap', sets: TOOLS },
  { capture: 'captures/zeek/retransmit-fast009.pcap', sets: TOOLS },
  { capture: 'captures/zeek/retransmit-timeout.pcapng', sets: TOOLS },
  { capture: 'captures/zeek/server-pre-banner-data.pcap', sets: TOOLS },
  { capture: 'captures/zeek/single-rst.pcap', sets: TOOLS },
  { capture: 'captures/zeek/ssh-dups.pcap', sets: TOOLS },
  { capture: 'captures/zeek/ssh.client-side-half-duplex.pcap', sets: TOOLS },
  { capture: 'captures/zeek/ssh.pcap', sets: TOOLS },
  { capture: 'captures/zeek/ssh.server-side-half-duplex.pcap', sets: TOOLS },
  { capture: 'captures/zeek/syn-bad.pcap', sets: TOOLS },
  { capture: 'captures/zeek/syn-then-ack-then-rst.pcap', sets: TOOLS },
  { capture: 'captures/zeek/syn-then-rst.pcap', sets: TOOLS },
  { capture: 'captures/zeek/syn-then-stuff-then-rst.pcap', sets: TOOLS },
  { capture: 'captures/zeek/tcp-http-with-padding.pcap', sets: TOOLS },
  { capture: 'captures/zeek/wikipedia.pcap', sets: TOOLS },
  { capture: 'test/fixtures/edge-cases.pcap', sets: ['tcpdump'] },
  { capture: 'test/fixtures/ipv6-ext.pcap', sets: ['tcpdump'] },
  { capture: 'test/fixtures/mptcp-options.pcap', sets: ['tcpdump'] },
  { capture: 'test/fixtures/tunnels.pcap', sets: ['tcpdump'] },
  { capture: 'test/fixtures/truncations.pcap', sets: ['tcpdump'] },
  { capture: 'test/fixtures/link-arcnet-linux.pcap', sets: ['tcpdump'] },
  { capture: 'test/fixtures/link-c-hdlc.pcap', sets: ['tcpdump'] },
  { capture: 'test/fixtures/link-ieee802-11.pcap', sets: ['tcpdump'] },
  { capture: 'test/fixtures/link-ipoib.pcap', sets: ['tcpdump'] },
  { capture: 'test/fixtures/link-juniper-ether.pcap', sets: ['tcpdump'] },
  { capture: 'test/fixtures/link-nflog.pcap', sets: ['tcpdump'] },
  { capture: 'test/fixtures/link-pktap.pcap', sets: ['tcpdump'] },
  { capture: 'test/fixtures/link-ppp.pcap', sets: ['tcpdump'] },
  { capture: 'test/fixtures/link-ppp-serial.pcap', sets: ['tcpdump'] },
  { capture: 'test/fixtures/link-radiotap.pcap', sets: ['tcpdump'] },
  { capture: 'test/fixtures/radiotap-fields.pcap', sets: ['tcpdump'] },
];

/** The captures a set holds, in the table's order. */
export function casesIn(set: GoldenSet): string[] {
  return GOLDEN_CASES.filter((c) => c.sets.includes(set)).map((c) => c.capture);
}

/** A golden file of the set, read as text (its path from test/golden/). */
export function readGolden(file: string): string {
  return readFileSync(join(GOLDEN, file), 'utf8');
}

/** `captures/zeek/get.pcap` → `captures__zeek__get.pcap`: the tools' goldens are named after the path. */
export function flat(capture: string): string {
  return capture.replace(/\//g, '__');
}

/** `captures/mixed.pcap` → `mixed.pcap`: tcpstate's own goldens are named after the file. */
function base(capture: string): string {
  return capture.slice(capture.lastIndexOf('/') + 1);
}
