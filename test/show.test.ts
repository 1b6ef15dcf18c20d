import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { showConnection } from '../src/index.js';
import { buildPcap, memoryInput, type Seg } from './helpers/build.js';

const CAP = join(import.meta.dirname, '..', 'captures');

describe('show: one connection as a ladder', () => {
  it('draws every packet between the two sides and every transition under the packet that made it', async () => {
    const { text, damage } = await showConnection([join(CAP, 'final-ack-dropped.pcap')], 1);
    expect(damage).toBeNull();
    const lines = text!.split('\n');
    expect(lines[0]).toBe('Connection 1: client 10.77.0.1:44312, server 10.77.0.2:8080');
    expect(lines[1]).toContain('at the end client TIME_WAIT, server LAST_ACK');
    const rungs = lines.filter((l) => /^\d\d:\d\d:\d\d\.\d{6} +\d+ /.test(l));
    expect(rungs).toHaveLength(19);
    expect(rungs[0]).toMatch(/^18:53:36\.404541 +4  SYN_SENT +─ \[S\] seq 0 ─+▶ CLOSED$/);
    expect(rungs[1]).toMatch(/ESTABLISHED +◀─+ \[S\.\] seq 0 ack 1 ─ SYN_RCVD$/);
    expect(lines).toContain('                         ↳ server CLOSED → LISTEN: inferred: a listening socket took the SYN');
    // The client's ACKs of the server's FIN that the FIN retransmissions showed lost end in ✕, and
    // the server never leaves LAST_ACK: no LAST_ACK → CLOSED → LAST_ACK.
    const acks = rungs.filter((l) => / TIME_WAIT +─ \[\.\] seq 2 ack 9 ─+/.test(l));
    expect(acks).toHaveLength(6);
    expect(acks.slice(0, 5).every((l) => /─✕ LAST_ACK$/.test(l))).toBe(true);
    expect(acks[5]).toMatch(/─▶ LAST_ACK$/);
    expect(lines.some((l) => /server LAST_ACK → CLOSED|server CLOSED → LAST_ACK/.test(l))).toBe(false);
    expect(lines.at(-1) === '' ? lines.at(-2) : lines.at(-1)).toMatch(/^\? 1 server: .*LAST_ACK if it did not, CLOSED if it did\.$/);
  });

  it('shows a timer\'s transition in its own row at its time', async () => {
    const segs: Seg[] = [
      { t: 0, from: 'c', flags: 'S', seq: 10 },
      { t: 0.01, from: 's', flags: 'S.', seq: 90, ack: 11 },
      { t: 0.02, from: 'c', flags: 'F.', seq: 11, ack: 91 },
      { t: 0.03, from: 's', flags: 'F.', seq: 91, ack: 12 },
      { t: 0.04, from: 'c', flags: '.', seq: 12, ack: 92 },
      { t: 5, from: 'c', flags: 'S', seq: 5000, cport: 40001 },
    ];
    const { text } = await showConnection([memoryInput('t.pcap', buildPcap(segs))], 1, 1);
    const lines = text!.split('\n');
    expect(lines).toContain('22:13:22.030000   timer  client TIME_WAIT → CLOSED: 2MSL timeout');
    expect(lines[1]).toContain('at the end client CLOSED, server CLOSED');
  });

  it('the CLI says so when there is no such connection', async () => {
    let err = '';
    const stderr = new PassThrough();
    stderr.on('data', (d) => (err += d));
    const code = await main(['show', '--conn', '9', join(CAP, 'refused.pcap')], { stdout: new PassThrough(), stderr });
    expect(code).toBe(2);
    expect(err).toMatch(/^tcpstate: error: no connection 9 in .*refused\.pcap\n$/);
  });
});
