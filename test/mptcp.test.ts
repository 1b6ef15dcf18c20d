import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, renderJson, renderText } from '../src/index.js';
import { casesIn, flat, readGolden, ROOT } from './golden/cases.js';
import { conns } from './helpers/build.js';

/**
 * MPTCP subflows grouped into their MPTCP connections, on the kernel's own MPTCP (captures/mptcp.pcap,
 * made by captures/make/make-mptcp.sh): against tshark's mptcp.stream, and against the tokens the
 * server's kernel showed (`ss -Mti`), which a joining subflow names.
 */
describe('MPTCP connections', () => {
  it.each(casesIn('tshark-mptcp'))('%s: subflows grouped as tshark groups them', async (capture) => {
    const r = await analyze([join(ROOT, capture)]);
    // tshark numbers TCP and MPTCP streams from 0 in order of first packet; tcpstate's ids and MPTCP connections from 1, in the same order.
    const pairs = readGolden(`tshark-mptcp/${flat(capture)}.txt`).trim().split('\n').map((l) => l.split('\t').map(Number) as [number, number]);
    expect(pairs.length).toBeGreaterThan(0);
    for (const [tcp, mptcp] of pairs) expect(r.mptcp.get(tcp + 1)?.connection, `tcp.stream ${tcp}`).toBe(mptcp + 1);
    expect(r.mptcp.size).toBe(pairs.length);
  });

  it('names each MPTCP connection by the token its server held, and numbers its subflows in order', async () => {
    const r = await analyze([join(ROOT, 'captures', 'mptcp.pcap')]);
    const truth = JSON.parse(readFileSync(join(ROOT, 'captures', 'mptcp.truth.json'), 'utf8')) as { mptcp: { serverTokens: string[] } };
    const tokens = [...new Set([...r.mptcp.values()].map((s) => s.token))].sort();
    expect(tokens).toEqual([...truth.mptcp.serverTokens].sort());
    expect([...r.mptcp].map(([id, s]) => [id, s.connection, s.subflow])).toEqual([[1, 1, 1], [2, 1, 2], [3, 2, 1], [4, 2, 2]]);
    // The second subflow of each comes from the client's second address.
    expect(conns(r).map((c) => c.client.a0 >>> 0 === 0x0a4f0101)).toEqual([false, true, false, true]);
    const json = [...renderJson(r)].join('');
    expect(json).toContain(`"mptcp":{"connection":1,"subflow":2,"token":"${r.mptcp.get(2)!.token}"}`);
    const text = [...renderText(r)].join('');
    expect(text).toContain(`  2  token ${r.mptcp.get(3)!.token}  subflows 3, 4\n`);
  });

  it('gives no connection of a capture without MPTCP an MPTCP place', async () => {
    const r = await analyze([join(ROOT, 'captures', 'mixed.pcap')]);
    expect(r.mptcp.size).toBe(0);
    expect([...renderText(r)].join('')).not.toContain('MPTCP');
  });
});

describe('MPTCP resets', () => {
  it('says when the subflows were reset because the MPTCP connection was aborted (MP_FASTCLOSE)', async () => {
    const r = await analyze([join(ROOT, 'captures', 'mptcp.pcap')]);
    const reset = r.findings.find((f) => f.kind === 'reset')!;
    // The second MPTCP connection: its client closed with SO_LINGER 0, and the kernel reset both its subflows with MP_FASTCLOSE.
    expect(reset.connections).toEqual([3, 4]);
    expect(reset.counts.mptcpFastClose).toBe(2);
    expect(reset.summary).toContain('2 were MPTCP subflows reset by an MP_FASTCLOSE (the MPTCP connection was aborted, all its subflows with it)');
  });
});

describe('MPTCP version 0 (RFC 6824)', () => {
  it('takes the token of a version 0 connection from the SHA-1 of the server key (test/fixtures/make-mptcp-options.mjs)', async () => {
    const r = await analyze([join(ROOT, 'test', 'fixtures', 'mptcp-options.pcap')]);
    const key = Buffer.from([0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01]);
    expect(r.mptcp.get(1)).toEqual({ connection: 1, subflow: 1, token: createHash('sha1').update(key).digest('hex').slice(0, 8) });
  });
});
