/**
 * Every finding's sentence, written from its data (kind, counts, place, time span) and the
 * thresholds it was judged by: detect/ decides, this says it.
 */
import { addrToString, endpointToString } from '../decode/address.js';
import type { DetectConfig, Finding, FindingPlace } from '../detect/index.js';
import { groupDigits } from '../digits.js';

/** 1234567 → "1,234,567". */
export function num(n: number): string {
  return groupDigits(n);
}

/** Seconds for a sentence: 0.042 s, 3.5 s, 75 s. */
export function secs(s: number): string {
  if (s < 1) return `${s.toFixed(3)} s`;
  if (s < 10) return `${s.toFixed(1)} s`;
  return `${Math.round(s)} s`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${num(n)} ${n === 1 ? one : many}`;
}

/** 0.0002 → "0.02%", 0.5 → "50%": enough digits to tell a few from none. */
function pct(share: number): string {
  const p = share * 100;
  if (p === 0 || p >= 10) return `${Math.round(p)}%`;
  return `${p.toPrecision(1)}%`;
}

/** `10.0.0.2:80`, `[2001:db8::1]:80`, a scanner's address alone, or the endpoints counted together. */
export function placeName(p: FindingPlace | null): string | null {
  if (p === null) return null;
  if (p.of === 'overflow') return `(endpoints past the first ${num(p.after)})`;
  return p.of === 'address' ? addrToString(p.family, p) : endpointToString(p.family, p);
}

/** What a sentence is written from besides the finding: the thresholds, and the MSL of TIME_WAIT. */
export interface SentenceContext {
  config: DetectConfig;
  msl: number;
}

/** One sentence a person can paste into an incident report. */
export function findingSentence(f: Finding, ctx: SentenceContext): string {
  const at = placeName(f.endpoint) ?? '';
  const k = (name: string): number => {
    const v = f.counts[name];
    return typeof v === 'number' ? v : 0;
  };
  const n = k('connections');
  const who = f.counts.side === 'client' || f.counts.resetBy === 'client' ? 'client' : 'server';
  const peer = who === 'server' ? 'client' : 'server';
  switch (f.kind) {
    case 'syn_flood': {
      const window = Math.max(1, Math.ceil(ctx.config.synFlood.window));
      const span = Math.max(1, spanOf(f));
      const sources = k('sources');
      const estimated = f.counts.sourcesEstimated === true;
      const completed = k('completedHandshakes');
      return `${at} received ${num(k('syns'))} SYNs whose handshakes never completed, from ${estimated ? 'about ' : ''}${num(sources)} ` +
        `${sources === 1 ? 'source' : 'sources'}${estimated ? ' (estimated)' : ''} over ${secs(span)} (peak ${num(k('peakRate'))}/s, ${num(k('windowRate'))}/s averaged over ${window} s); ` +
        `${num(completed)} of its ${num(completed + n)} handshakes completed (${pct(completed / (completed + n))})` +
        (f.counts.spoofed === true ? '; the sources look spoofed: they sent nothing but SYNs' + (k('synAcked') ? ' and never answered the SYN,ACK' : '') : '') + '.';
    }
    case 'port_scan': {
      const cfg = ctx.config.portScan;
      const targets = k('targets');
      const ports = k('ports');
      const hosts = k('hosts');
      return `${at} sent SYNs to ${targets > cfg.criticalTargets ? 'more than ' : ''}${num(Math.min(targets, cfg.criticalTargets))} distinct targets within ${cfg.window} s ` +
        `(${num(ports)}${ports > cfg.criticalTargets ? '+' : ''} ports on ${num(hosts)}${hosts > cfg.criticalTargets ? '+' : ''} ` +
        `${hosts === 1 ? 'host' : 'hosts'}, over ${secs(Math.max(0, spanOf(f)))}); ${num(k('failed'))} of its ${num(n)} connection attempts failed.`;
    }
    case 'connection_refused': {
      const span = spanOf(f);
      return `${at} refused ${plural(n, 'connection')}: each SYN was answered with RST (nothing listening on the port, or a firewall rejecting)` +
        (span >= 1 ? `, over ${secs(span)}.` : '.');
    }
    case 'syn_unanswered': {
      const lost = k('synAcksLost');
      return lost === n
        ? `${plural(n, 'connection attempt')} to ${at} got no answer that reached the client: ${num(k('syns'))} SYNs ` +
          `(${num(k('retransmissions'))} retransmissions), each answered by SYN,ACKs that were lost on their way to the client, which stayed in SYN_SENT.`
        : `${plural(n, 'connection attempt')} to ${at} got no answer${lost ? ' that reached the client' : ' at all'}: ${num(k('syns'))} SYNs ` +
          `(${num(k('retransmissions'))} retransmissions) and neither SYN,ACK nor RST` +
          `${lost ? `, or (${num(lost)} of them) SYN,ACKs lost on their way to the client` : ''}; the host is down or a firewall drops them.`;
    }
    case 'half_open':
      return halfOpen(String(f.counts.cause), at, n, k);
    case 'reset': {
      const states = Object.entries(f.counts.statesAtReset as Record<string, number>);
      const stateText = states.map(([s, m]) => (n === 1 ? s : `${s} ×${m}`)).join(', ');
      const data = n === 1
        ? `after ${num(k('clientBytes'))} bytes from the client and ${num(k('serverBytes'))} from the server`
        : `after ${num(k('clientBytes'))} client and ${num(k('serverBytes'))} server bytes in all`;
      const outOfWindow = k('outOfWindow');
      const window = outOfWindow > 0 ? `; ${num(outOfWindow)} RST${outOfWindow === 1 ? ' was' : 's were'} outside the receiver's window and ignored` : '; the RST was in window';
      const lost = k('withUnacknowledgedData') > 0 ? `; ${num(k('unacknowledgedBytes'))} bytes were still unacknowledged (discarded)` : '';
      const afterFin = k('afterOwnFin') > 0 ? `; ${n === 1 ? 'it came' : `${num(k('afterOwnFin'))} came`} after the ${who}'s own FIN (data arrived after it closed)` : '';
      const fastClose = k('mptcpFastClose');
      const tcpRst = k('mptcpTcpRst');
      const mptcp = (fastClose > 0 ? `; ${n === 1 ? 'it was' : `${num(fastClose)} were`} MPTCP subflows reset by an MP_FASTCLOSE (the MPTCP connection was aborted, all its subflows with it)` : '') +
        (tcpRst > 0 ? `; ${n === 1 ? 'it carried' : `${num(tcpRst)} carried`} MP_TCPRST (that subflow alone was reset)` : '');
      const reason = typeof f.counts.originReason === 'string' ? f.counts.originReason : '';
      const racing = k('racingRsts') ? `; ${plural(k('racingRsts'), 'more RST')} from the same side raced ${n === 1 ? 'it' : 'them'}` : '';
      const origin = f.counts.origin === 'middlebox'
        ? ` It was not the ${who}'s own: a device on the path forged it (${reason}).`
        : f.counts.origin === 'unknown' ? ` The capture cannot tell whether the ${who} or a device on the path sent it (${reason}).` : '';
      if (f.counts.origin === 'middlebox') {
        return `A RST claiming to come from the ${who} ${n === 1 ? `reset a connection with ${at}` : `reset ${plural(n, 'connection')} with ${at}`} ` +
          `in ${stateText} (client/server) ${data}${window}${lost}${racing}.${origin}`;
      }
      return `The ${who} ${n === 1 ? `reset a connection with ${at}` : `reset ${plural(n, 'connection')} with ${at}`} ` +
        `in ${stateText} (client/server) ${data}${window}${lost}${afterFin}${mptcp}${racing}.${origin}`;
    }
    case 'close_wait_leak': {
      const where = who === 'server' ? at : `clients of ${at}`;
      const atEnd = k('atEnd');
      return `${who === 'server' ? `The server ${at}` : `The client side of ${plural(n, 'connection')} to ${at}`} ` +
        `${who === 'server' ? `left ${plural(n, 'connection')}` : 'stayed'} in CLOSE_WAIT: it acknowledged the ${peer}'s FIN and ` +
        `${atEnd === n ? 'never sent its own' : `took too long to send its own (${plural(n - atEnd, 'connection')} closed late)`} ` +
        `(up to ${secs(k('maxSeconds'))}${atEnd ? `; ${atEnd} still in CLOSE_WAIT at the end of the capture` : ''}): ` +
        `the application on ${where} did not close the socket.`;
    }
    case 'fin_wait_2_stuck':
      return `The ${who} side of ${plural(n, 'connection')} with ${at} sat in FIN_WAIT_2 (up to ${secs(k('maxSeconds'))}` +
        `${k('atEnd') ? `; ${k('atEnd')} still there at the end of the capture` : ''}): its FIN was acknowledged but the ${peer} never sent its own.`;
    case 'fin_wait_1_stuck': {
      const why = k('peerZeroWindow') > 0 ? `; the ${peer} advertised a zero window: the FIN is held behind it` : '';
      const atEnd = k('atEnd');
      const closing = k('closingAtEnd');
      const where = [
        ...(k('maxSeconds') ? [`up to ${secs(k('maxSeconds'))} in FIN_WAIT_1`] : []),
        ...(atEnd ? [`${atEnd} still in FIN_WAIT_1 at the end`] : []),
        ...(closing ? [`${closing} still in CLOSING at the end, the ${peer}'s FIN received but its own not acknowledged`] : []),
      ];
      return `The ${who} closed ${plural(n, 'connection')} with ${at} first and its FIN ` +
        `${atEnd || closing ? 'was never acknowledged' : 'had to be retransmitted'} (${num(k('finRetransmissions'))} FIN retransmissions` +
        `${where.length ? `; ${where.join('; ')}` : ''})${why}: the FIN or its ACK is being lost.`;
    }
    case 'last_ack_lost': {
      const atEnd = k('atEnd');
      return `The ${who} side of ${plural(n, 'connection')} with ${at} closed second and its FIN ` +
        `${atEnd ? 'was never acknowledged' : 'had to be retransmitted'} (${num(k('finRetransmissions'))} FIN retransmissions, up to ` +
        `${secs(k('maxSeconds'))} in LAST_ACK${atEnd ? `; ${atEnd} still in LAST_ACK at the end` : ''}): the ${peer}'s last ACK did not reach it.`;
    }
    case 'zero_window_stall': {
      const atEnd = k('atEnd');
      return `The ${who} side of ${plural(n, 'connection')} with ${at} advertised a zero window and kept it closed ` +
        `(up to ${secs(k('maxSeconds'))}${atEnd ? `; ${atEnd} still closed at the end of the capture` : ''}): ` +
        `its application stopped reading, and the ${peer} could only probe (${plural(k('probes'), 'probe')}).`;
    }
    case 'time_wait_pileup': {
      const atEnd = k('atEnd');
      return `The server ${at} closed ${plural(n, 'connection')} first and so holds their TIME_WAIT ` +
        `(2MSL = ${2 * ctx.msl} s): up to ${num(k('peak'))} at once${atEnd ? `, ${num(atEnd)} at the end of the capture` : ''}.`;
    }
    case 'slow_handshake': {
      const syns = k('synRetransmissions');
      const synAcks = k('synAckRetransmissions');
      const over = k('overThreshold');
      const why: string[] = [];
      if (syns) why.push(`${plural(syns, 'SYN')} sent again`);
      if (synAcks) why.push(`${plural(synAcks, 'SYN,ACK')} sent again`);
      if (over) why.push(`${plural(over, 'handshake')} slower than ${secs(ctx.config.slowHandshake.seconds)}`);
      return `${plural(n, 'handshake')} with ${at} completed slowly (${why.join(', ')}; up to ${secs(k('maxHandshakeRtt'))} from the last SYN ` +
        `to the ACK): a SYN or SYN,ACK sent again waited out a retransmission timeout, so the first was lost or the listener was slow to answer.`;
    }
    case 'rto_backoff':
      return `The ${who} side of ${plural(n, 'connection')} with ${at} retransmitted on timeout, up to ${num(k('maxInARow'))} times in a row ` +
        `with no new ACK between them (${plural(k('timeouts'), 'timeout')} of data in all, up to ${secs(k('longestInterval'))} apart): ` +
        `the timer backed off, so the ${peer} or the path to it is gone, or the ${peer}'s ACKs are lost.`;
    case 'high_retransmission':
      return `${(100 * k('share')).toFixed(1)}% of the segments to and from ${at} were retransmissions (${num(k('retransmissions'))} of ${num(k('packets'))}, ` +
        `in ${plural(n, 'connection')} of its ${num(k('serverConnections'))}): the path loses packets, or a side's timers fire too early.`;
    case 'simultaneous_close': {
      const closing = k('closingAtEnd');
      const how = closing === 0 ? '(FIN_WAIT_1 → CLOSING → TIME_WAIT on both sides, so both hold TIME_WAIT).'
        : `(FIN_WAIT_1 → CLOSING); ${closing === n ? (n === 1 ? 'it is' : 'all are') : `${num(closing)} are`} still in CLOSING at the end of the capture: the ACKs of the FINs did not arrive.`;
      return `${plural(n, 'connection')} with ${at} closed simultaneously: both sides sent FIN before receiving the other's ${how}`;
    }
  }
}

function halfOpen(cause: string, at: string, n: number, k: (name: string) => number): string {
  const conns = plural(n, 'connection');
  switch (cause) {
    case 'handshake_ack_lost':
      return `${conns} to ${at} half-open: the client is ESTABLISHED but the server is still in SYN_RCVD, ` +
        'retransmitting its SYN,ACK: the handshake\'s last ACK never reached it.';
    case 'syn_ack_unanswered':
      return `${conns} to ${at} half-open: the server is in SYN_RCVD, retransmitting its SYN,ACK to a client that never ` +
        'answered it nor sent its SYN again, as no socket would: a spoofed source, or a host that is gone.';
    case 'unanswered':
      return `${conns} to ${at} half-open: ${k('serverOpen') >= k('clientOpen') ? 'the server' : 'the client'} kept retransmitting ` +
        `or probing (${plural(k('unansweredSegments'), 'segment')}) with no answer until the end of the capture ` +
        `(silent peer for up to ${secs(k('silentSeconds'))}): the peer is gone or the path drops its packets.`;
    case 'peer_lost_connection':
      return `${conns} to ${at} half-open until a segment was answered with a bare RST: the ${k('clientOpen') >= k('serverOpen') ? 'server' : 'client'} ` +
        'no longer had the connection (rebooted, or dropped it) while its peer still believed it open.';
    default:
      return `${conns} to ${at} half-open: one side reset and closed, the other ignored the RST (outside its window) and still holds the connection open.`;
  }
}

/** Seconds from the first connection's start to the last one's end. */
function spanOf(f: Finding): number {
  if (f.first === null || f.last === null) return 0;
  return f.last.sec - f.first.sec + (f.last.nsec - f.first.nsec) * 1e-9;
}
