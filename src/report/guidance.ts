import type { FindingKind } from '../detect/index.js';
import type { ReportFinding } from './model.js';
import { plural } from './sentences.js';

/** What typically causes a finding and what to look at next: our own short prose, with the finding's figures. */
export interface Guidance {
  causes: string[];
  check: string[];
}

type Counts = ReportFinding['counts'];

const num = (c: Counts, key: string): number => (typeof c[key] === 'number' ? (c[key] as number) : 0);
const str = (c: Counts, key: string, otherwise: string): string => (typeof c[key] === 'string' ? (c[key] as string) : otherwise);
/** The server's port for `ss` filters, when the endpoint has one. */
const portOf = (endpoint: string | null) => endpoint?.match(/:(\d+)$/)?.[1] ?? null;
const hostOf = (endpoint: string | null) => (endpoint === null ? 'the server' : endpoint.replace(/:\d+$/, '').replace(/^\[|\]$/g, ''));
const sport = (endpoint: string | null) => (portOf(endpoint) ? ` '( sport = :${portOf(endpoint)} )'` : '');

/** One entry per finding kind (a test holds the list to FINDING_KINDS). */
export const GUIDANCE: { [K in FindingKind]: (f: ReportFinding) => Guidance } = {
  syn_flood: (f) => ({
    causes: [
      `A SYN flood: ${plural(num(f.counts, 'syns'), 'SYN')} from ${f.counts.sourcesEstimated ? 'about ' : ''}${plural(num(f.counts, 'sources'), 'source')} that never completed the handshake` +
        ` (${(100 * num(f.counts, 'completedShare')).toFixed(2)}% did), most likely spoofed.`,
      'Or a client fleet retrying against a listener whose accept queue is full (the application is not calling accept() fast enough).',
    ],
    check: [
      `On ${hostOf(f.endpoint)}: sysctl net.ipv4.tcp_syncookies (1 sends cookies once the SYN queue overflows) and net.ipv4.tcp_max_syn_backlog.`,
      `ss -ltn${sport(f.endpoint)}: Recv-Q against Send-Q is the accept queue against the listen backlog (min of listen()'s backlog and net.core.somaxconn).`,
      'nstat -az TcpExtListenOverflows TcpExtListenDrops TcpExtSyncookiesSent: whether the kernel dropped SYNs or sent cookies.',
      'Upstream: rate limits or SYN proxying (SYNPROXY in nftables) on the path; RFC 4987 lists the defences.',
    ],
  }),
  port_scan: (f) => ({
    causes: [
      `One source (${f.endpoint ?? 'see the finding'}) sent SYNs to ${plural(num(f.counts, 'targets'), 'address:port target')} on ${plural(num(f.counts, 'hosts'), 'host')} ` +
        `(${plural(num(f.counts, 'ports'), 'port')}) in a short time: a scanner (nmap, masscan), a monitoring probe, or a misconfigured client.`,
    ],
    check: [
      'Whether the source is yours: an asset inventory, a vulnerability scanner\'s schedule, a health checker.',
      'Which probes were answered with SYN,ACK: those ports are open to it; firewall logs for the same source.',
    ],
  }),
  half_open: (f) => ({
    causes: [
      `${plural(num(f.counts, 'connections'), 'connection')} with ${f.endpoint ?? 'the server'} where one side kept sending into a peer that no longer had the connection` +
        `${num(f.counts, 'unansweredSegments') ? ` (${plural(num(f.counts, 'unansweredSegments'), 'segment')} unanswered over ${num(f.counts, 'silentSeconds').toFixed(1)} s)` : ''}: the peer rebooted, crashed, or a NAT or firewall on the path dropped its state.`,
      'Or a network path that failed in one direction only.',
    ],
    check: [
      'ss -tan state established on both hosts: the side that still lists the connection is the one that did not notice.',
      'Connection-tracking timeouts of any NAT or firewall between them (e.g. nf_conntrack_tcp_timeout_established, a cloud NAT\'s idle timeout) against the application\'s idle periods.',
      'net.ipv4.tcp_keepalive_time (default 7200 s) or SO_KEEPALIVE on the socket: keepalives find a dead peer sooner; RFC 9293 section 3.8.4.',
    ],
  }),
  connection_refused: (f) => ({
    causes: [
      `${hostOf(f.endpoint)} answered ${plural(num(f.counts, 'syns'), 'SYN')} with RST: nothing listens on port ${portOf(f.endpoint) ?? '?'}${f.counts.listenerSeen ? ' (though it was seen listening earlier: the service restarted or stopped)' : ''}, or a firewall rejects with a reset.`,
    ],
    check: [
      `On ${hostOf(f.endpoint)}: ss -ltnp${sport(f.endpoint)} shows whether a process listens, and which.`,
      'The service\'s logs around the finding\'s time (a restart, a crash, a deploy); firewall rules with "reject with tcp reset".',
      'Whether the client is configured with the right host and port.',
    ],
  }),
  reset: (f) => {
    const by = str(f.counts, 'resetBy', 'one side');
    const origin = str(f.counts, 'origin', 'unknown');
    return {
      causes: origin === 'middlebox'
        ? [`The RSTs of ${plural(num(f.counts, 'connections'), 'connection')} with ${f.endpoint ?? 'the server'} did not come from the ${by} host itself (${str(f.counts, 'originReason', 'their TTL or IP ID differ from its other packets')}): a firewall, IPS or load balancer on the path injected them.`]
        : [
          `The ${by} reset ${plural(num(f.counts, 'connections'), 'connection')}${f.endpoint ? ` with ${f.endpoint}` : ''}: its application closed with unread data or with SO_LINGER set to 0 (an abortive close), crashed, or timed the connection out.`,
          ...(num(f.counts, 'unacknowledgedBytes') ? [`${plural(num(f.counts, 'unacknowledgedBytes'), 'byte')} sent before the reset were never acknowledged: the application may believe it delivered data that never arrived.`] : []),
          'Or a write to a socket the peer had already closed: the peer answers data after its close with RST.',
        ],
      check: origin === 'middlebox'
        ? ['The devices between the capture point and the host: firewall session timeouts, IPS signatures, load balancer idle timeouts.', 'A capture on the host itself: whether it sent the RST.']
        : [
          `The ${by}'s application logs at the reset's time: timeouts, "connection reset by peer" on the other side, a pool closing idle connections.`,
          'Whether the application sets SO_LINGER {on, 0} or closes with unread input (RFC 9293 section 3.6: ABORT).',
          'nstat -az TcpExtTCPAbortOnData TcpExtTCPAbortOnClose TcpExtTCPAbortOnTimeout on that host.',
        ],
    };
  },
  close_wait_leak: (f) => ({
    causes: [
      `The application on ${f.endpoint ?? 'the server'} never called close() on ${plural(num(f.counts, 'connections'), 'socket')} after the peer closed (read() returned 0 and nothing closed it): a leak in its error or end-of-stream path, or threads stuck before the close.`,
      'A connection pool that keeps connections the peer has closed, without noticing.',
    ],
    check: [
      `On ${hostOf(f.endpoint)}: ss -tanp state close-wait${sport(f.endpoint)} shows which process holds them; ls -l /proc/PID/fd | wc -l its descriptors.`,
      'The application\'s handling of end of stream (read() == 0) and of errors: every path must close the socket (RFC 9293 section 3.6: CLOSE-WAIT waits for the user\'s CLOSE).',
      'The kernel never times CLOSE_WAIT out: only the application can end it.',
    ],
  }),
  fin_wait_2_stuck: (f) => ({
    causes: [
      `The ${str(f.counts, 'side', 'closing')} side of ${plural(num(f.counts, 'connections'), 'connection')} with ${f.endpoint ?? 'the server'} closed, its FIN was acknowledged, and the peer never sent its own FIN: the peer's application has not closed (its side is in CLOSE_WAIT), or it shut down only its write half.`,
    ],
    check: [
      'The peer: ss -tanp state close-wait shows the process that holds the other end.',
      'net.ipv4.tcp_fin_timeout (default 60 s): how long Linux keeps an orphaned FIN_WAIT_2; a socket the application still holds (after shutdown()) stays until it closes.',
    ],
  }),
  fin_wait_1_stuck: (f) => ({
    causes: [
      `The ${str(f.counts, 'side', 'closing')} side of ${plural(num(f.counts, 'connections'), 'connection')} with ${f.endpoint ?? 'the server'} sent a FIN that was never acknowledged${num(f.counts, 'finRetransmissions') ? ` (${plural(num(f.counts, 'finRetransmissions'), 'retransmission')})` : ''}: the peer is gone, its receive window is zero, or the path drops the FIN.`,
    ],
    check: [
      'Whether the peer still answers at all (other connections, ping); a zero window on its last segments.',
      'net.ipv4.tcp_orphan_retries and tcp_max_orphans: how long Linux retries the FIN of an orphaned socket.',
    ],
  }),
  last_ack_lost: (f) => ({
    causes: [
      `The ${str(f.counts, 'side', 'last closing')} side of ${plural(num(f.counts, 'connections'), 'connection')} with ${f.endpoint ?? 'the server'} sent its FIN${num(f.counts, 'finRetransmissions') ? ` ${plural(num(f.counts, 'finRetransmissions'), 'more time')}` : ''} and never got the final ACK: the peer vanished after its own close (a process exit, a host reset), or a firewall dropped the connection after the first FIN.`,
    ],
    check: [
      'The firewall or NAT between them: state entries removed on the first FIN, or short FIN timeouts.',
      'The peer host: was it up at the time? A RST from it later would show it forgot the connection.',
    ],
  }),
  syn_unanswered: (f) => ({
    causes: [
      `${plural(num(f.counts, 'syns'), 'SYN')} to ${f.endpoint ?? 'the server'} (${plural(num(f.counts, 'retransmissions'), 'retransmission')}) got neither SYN,ACK nor RST: the host is down, a firewall drops them silently, or the route to it is broken.`,
    ],
    check: [
      `From the client's network: ping ${hostOf(f.endpoint)}; traceroute -T -p ${portOf(f.endpoint) ?? 'PORT'} ${hostOf(f.endpoint)}.`,
      'Firewall rules that drop rather than reject; security groups; the server\'s own nft/iptables input chain.',
      'A capture on the server: whether the SYNs arrive there.',
    ],
  }),
  zero_window_stall: (f) => ({
    causes: [
      `The ${str(f.counts, 'side', 'receiving')} side of ${plural(num(f.counts, 'connections'), 'connection')} with ${f.endpoint ?? 'the server'} advertised a zero window for up to ${num(f.counts, 'maxSeconds').toFixed(1)} s` +
        `${num(f.counts, 'probes') ? ` (${plural(num(f.counts, 'probes'), 'window probe')})` : ''}: its application stopped reading the socket (busy, blocked, or slower than the sender), so the receive buffer filled. The network is not at fault.`,
    ],
    check: [
      'The receiving application: CPU, blocking calls, a slow consumer downstream; ss -tmi on that host shows Recv-Q and the buffer (skmem).',
      'net.ipv4.tcp_rmem and the socket\'s SO_RCVBUF, if the reader is merely bursty.',
    ],
  }),
  time_wait_pileup: (f) => ({
    causes: [
      `${f.endpoint ?? 'The server'} closed first and so holds TIME_WAIT for 2MSL (up to ${plural(num(f.counts, 'peak'), 'connection')} at once): many short connections closed by this side. Normal in moderation; it exhausts ports when one client opens connections faster than 2MSL allows.`,
    ],
    check: [
      'ss -tan state time-wait | wc -l on the side that closed first; whether clients reuse connections (HTTP keep-alive, pooling) instead of one per request.',
      'On the clients: net.ipv4.ip_local_port_range (the ports each client has per server) and net.ipv4.tcp_tw_reuse for outgoing connections.',
      'Letting the client close first moves TIME_WAIT to the clients, which have more ports to spare (RFC 9293 section 3.6.1).',
    ],
  }),
  simultaneous_close: () => ({
    causes: ['Both sides sent FIN before receiving the other\'s: a close on both ends at once (RFC 9293 section 3.6, case 3). Normal; both sides then go through CLOSING to TIME_WAIT.'],
    check: ['Nothing, unless connections stay in CLOSING: then the last ACKs are lost on the path.'],
  }),
  slow_handshake: (f) => ({
    causes: [
      num(f.counts, 'synRetransmissions') || num(f.counts, 'synAckRetransmissions')
        ? `${plural(num(f.counts, 'synRetransmissions'), 'SYN')} and ${plural(num(f.counts, 'synAckRetransmissions'), 'SYN,ACK')} had to be sent again: the first was lost, or the listener's SYN queue was full. Each costs the initial RTO (1 s on Linux).`
        : `Handshakes took up to ${(num(f.counts, 'maxHandshakeRtt') * 1e3).toFixed(1)} ms: a long or congested path, or a server slow to answer SYNs.`,
    ],
    check: [
      'nstat -az TcpExtListenOverflows TcpExtListenDrops on the server: SYNs dropped by a full queue.',
      'Loss on the path (the same capture\'s retransmissions, or `tcpstate correlate` with a capture from the other end).',
    ],
  }),
  rto_backoff: (f) => ({
    causes: [
      `The ${str(f.counts, 'side', 'sender')} hit ${plural(num(f.counts, 'timeouts'), 'retransmission timeout')}, ${num(f.counts, 'maxInARow')} in a row with no new ACK between them: the peer or the path stopped answering, and each timeout doubles the wait (RFC 6298).`,
    ],
    check: [
      'Whether the peer was reachable then; loss on the path; an MTU black hole (large segments lost, small ones through: ping -M do -s 1472).',
      'ss -ti on the sender: retrans, rto and backoff of the connection; net.ipv4.tcp_retries2 decides when it gives up.',
    ],
  }),
  high_retransmission: (f) => ({
    causes: [
      `${(100 * num(f.counts, 'share')).toFixed(1)}% of the packets to or from ${f.endpoint ?? 'the server'} were retransmissions (${plural(num(f.counts, 'retransmissions'), 'retransmission')}): loss on the path, congestion, or a receiver dropping packets.`,
    ],
    check: [
      'Interface drops and errors on both hosts (ip -s link, ethtool -S) and on the switches between them.',
      'Where the loss happens: `tcpstate correlate` with a second capture from the other end tells which segments were lost between the two points.',
    ],
  }),
};

export function guidanceOf(f: ReportFinding): Guidance {
  return GUIDANCE[f.kind](f);
}
