#!/usr/bin/env node
// Writes a classic pcap of a SYN flood from distinct spoofed sources, built byte by byte (no
// traffic is sent): too large to commit, so tests and users make it when they need it.
//
//   node captures/make/make-syn-million.mjs OUT.pcap [--syns N] [--seconds S] [--seed K] [--scan]
//
// What it holds, in time order (deterministic for a given seed):
// - 50 ordinary connections from 198.51.100.0/24 to the server 192.0.2.80:443 in the first second:
//   handshake, a request, a response, the client closes first;
// - then N SYNs (default 1,000,000) over S seconds (default 10), each from its own address in
//   100.64.0.0/10 (4,194,304 addresses; source i is i·2,654,435,761 mod 2²² there, a permutation,
//   so N up to 4,194,304 are all distinct), random source ports and ISNs;
// - the server answers the first 128 of them (its SYN backlog) with a SYN,ACK and retransmits it
//   1, 3 and 7 s later, as Linux does; the sources never answer; every later SYN is dropped
//   (backlog full, syncookies off), so no SYN,ACK;
// - 20 real clients from 198.51.100.0/24 during the flood whose SYNs go unanswered and are
//   retransmitted 1 and 3 s later (Linux's SYN backoff).
// With --scan, the other way round: one scanner, 203.0.113.7, sends the N SYNs to N distinct
// addresses of 100.64.0.0/10 on port 443, none of which answers (a masscan-style sweep).
import { closeSync, openSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SERVER = [192, 0, 2, 80];
const SERVER_PORT = 443;
const BACKLOG = 128;
const LEGIT_BEFORE = 50;
const LEGIT_DURING = 20;
const START = 1_790_000_000;

/** xorshift32: the same bytes for the same seed on every machine. */
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
}

const FRAME = 14 + 20 + 24; // Ethernet, IPv4, TCP with an MSS option
const RECORD = 16 + FRAME;

function writeSegment(buf, o, t, src, sport, dst, dport, seq, ack, flags, payload) {
  const usec = Math.round(t * 1e6);
  const len = FRAME + payload;
  buf.writeUInt32LE(Math.floor(usec / 1e6), o);
  buf.writeUInt32LE(usec % 1e6, o + 4);
  buf.writeUInt32LE(FRAME, o + 8); // snap length: headers only
  buf.writeUInt32LE(len, o + 12);
  const e = o + 16;
  buf.fill(0, e, e + FRAME);
  buf[e] = 0x02; buf[e + 5] = 0x01; buf[e + 6] = 0x02; buf[e + 11] = 0x02;
  buf.writeUInt16BE(0x0800, e + 12);
  const ip = e + 14;
  buf[ip] = 0x45;
  buf.writeUInt16BE(20 + 24 + payload, ip + 2);
  buf[ip + 6] = 0x40; // DF
  buf[ip + 8] = 64;
  buf[ip + 9] = 6;
  buf[ip + 12] = src[0]; buf[ip + 13] = src[1]; buf[ip + 14] = src[2]; buf[ip + 15] = src[3];
  buf[ip + 16] = dst[0]; buf[ip + 17] = dst[1]; buf[ip + 18] = dst[2]; buf[ip + 19] = dst[3];
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += buf.readUInt16BE(ip + i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  buf.writeUInt16BE(~sum & 0xffff, ip + 10);
  const th = ip + 20;
  buf.writeUInt16BE(sport, th);
  buf.writeUInt16BE(dport, th + 2);
  buf.writeUInt32BE(seq >>> 0, th + 4);
  buf.writeUInt32BE(ack >>> 0, th + 8);
  buf[th + 12] = 6 << 4;
  buf[th + 13] = flags;
  buf.writeUInt16BE(64240, th + 14);
  buf[th + 20] = 2; buf[th + 21] = 4; buf.writeUInt16BE(1460, th + 22);
  return o + RECORD;
}

const SYN = 0x02, ACK = 0x10, PSH = 0x08, FIN = 0x01;

/** The segments other than the flood's SYNs, sorted by time: [t, src, sport, dst, dport, seq, ack, flags, payload]. */
function otherSegments(syns, seconds, next) {
  const out = [];
  const floodStart = START + 1;
  for (let i = 0; i < LEGIT_BEFORE; i++) {
    const t = START + i * 0.015;
    const cli = [198, 51, 100, 1 + (i % 200)];
    const port = 40000 + i;
    const c = next(), s = next();
    const rtt = 0.0004;
    out.push([t, cli, port, SERVER, SERVER_PORT, c, 0, SYN, 0]);
    out.push([t + rtt / 2, SERVER, SERVER_PORT, cli, port, s, c + 1, SYN | ACK, 0]);
    out.push([t + rtt, cli, port, SERVER, SERVER_PORT, c + 1, s + 1, ACK, 0]);
    out.push([t + rtt + 0.0001, cli, port, SERVER, SERVER_PORT, c + 1, s + 1, PSH | ACK, 120]);
    out.push([t + rtt * 1.5 + 0.0001, SERVER, SERVER_PORT, cli, port, s + 1, c + 121, ACK, 0]);
    out.push([t + rtt * 1.5 + 0.002, SERVER, SERVER_PORT, cli, port, s + 1, c + 121, PSH | ACK, 900]);
    out.push([t + rtt * 2 + 0.002, cli, port, SERVER, SERVER_PORT, c + 121, s + 901, ACK, 0]);
    out.push([t + rtt * 2 + 0.003, cli, port, SERVER, SERVER_PORT, c + 121, s + 901, FIN | ACK, 0]);
    out.push([t + rtt * 2.5 + 0.003, SERVER, SERVER_PORT, cli, port, s + 901, c + 122, FIN | ACK, 0]);
    out.push([t + rtt * 3 + 0.003, cli, port, SERVER, SERVER_PORT, c + 122, s + 902, ACK, 0]);
  }
  // The server's SYN,ACKs to the first BACKLOG spoofed SYNs (their SYNs come from floodSyn()).
  for (let i = 0; i < Math.min(BACKLOG, syns); i++) {
    const f = floodSyn(i, syns, seconds);
    const s = next();
    for (const d of [0.00005, 1, 3, 7]) out.push([f.t + d, SERVER, SERVER_PORT, f.src, f.sport, s, f.seq + 1, SYN | ACK, 0]);
  }
  for (let i = 0; i < LEGIT_DURING; i++) {
    const t = floodStart + ((i + 0.5) * seconds) / LEGIT_DURING;
    const cli = [198, 51, 100, 201 + (i % 50)];
    const port = 50000 + i;
    const c = next();
    for (const d of [0, 1, 3]) out.push([t + d, cli, port, SERVER, SERVER_PORT, c, 0, SYN, 0]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/** The i-th spoofed SYN: time, source address and port, ISN (a function of i and the seed's stream). */
const floodState = { ports: null, isns: null };
function floodSyn(i, syns, seconds) {
  const a = Number((BigInt(i) * 2654435761n) % 4194304n);
  return {
    t: START + 1 + (i * seconds) / syns,
    src: [100, 64 + (a >>> 16), (a >>> 8) & 255, a & 255],
    sport: 1024 + (floodState.ports[i] % 64512),
    seq: floodState.isns[i],
  };
}

const SCANNER = [203, 0, 113, 7];

export function writeSynFlood(path, { syns = 1_000_000, seconds = 10, seed = 1, scan = false } = {}) {
  if (!(syns >= 1 && syns <= 4194304)) throw new RangeError('syns must be 1 to 4,194,304');
  const next = rng(seed);
  floodState.ports = new Uint32Array(syns);
  floodState.isns = new Uint32Array(syns);
  for (let i = 0; i < syns; i++) {
    floodState.ports[i] = next();
    floodState.isns[i] = next();
  }
  const others = scan ? [] : otherSegments(syns, seconds, next);
  const fd = openSync(path, 'w');
  try {
    const header = Buffer.alloc(24);
    header.writeUInt32LE(0xa1b2c3d4, 0);
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
    header.writeUInt32LE(262144, 16);
    header.writeUInt32LE(1, 20);
    writeSync(fd, header);
    const buf = Buffer.alloc(RECORD * 16384);
    let o = 0;
    let j = 0;
    let packets = 0;
    const flush = () => {
      writeSync(fd, buf, 0, o);
      o = 0;
    };
    for (let i = 0; i <= syns; i++) {
      const f = i < syns ? floodSyn(i, syns, seconds) : null;
      while (j < others.length && (f === null || others[j][0] <= f.t)) {
        const s = others[j++];
        o = writeSegment(buf, o, s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8]);
        packets++;
        if (o === buf.length) flush();
      }
      if (f === null) break;
      if (scan) o = writeSegment(buf, o, f.t, SCANNER, f.sport, f.src, SERVER_PORT, f.seq, 0, SYN, 0);
      else o = writeSegment(buf, o, f.t, f.src, f.sport, SERVER, SERVER_PORT, f.seq, 0, SYN, 0);
      packets++;
      if (o === buf.length) flush();
    }
    flush();
    return { packets, syns, sources: syns, server: `${SERVER.join('.')}:${SERVER_PORT}` };
  } finally {
    closeSync(fd);
    floodState.ports = floodState.isns = null;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const out = args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));
  const opt = (name, dflt) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : dflt;
  };
  if (!out) {
    console.error('usage: make-syn-million.mjs OUT.pcap [--syns N] [--seconds S] [--seed K] [--scan]');
    process.exit(2);
  }
  const scan = args.includes('--scan');
  const r = writeSynFlood(out, { syns: opt('syns', 1_000_000), seconds: opt('seconds', 10), seed: opt('seed', 1), scan });
  console.log(scan ? `${out}: ${r.packets} SYNs from ${SCANNER.join('.')} to ${r.syns} distinct addresses, port ${SERVER_PORT}`
    : `${out}: ${r.packets} packets, ${r.syns} spoofed SYNs from ${r.sources} distinct sources to ${r.server}`);
}
