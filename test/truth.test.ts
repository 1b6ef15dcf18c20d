import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, STATE_NAMES } from '../src/index.js';
import { endpointToString } from '../src/report/index.js';
import { conns } from './helpers/build.js';

/**
 * Every capture in captures/ was made from real kernel TCP traffic by captures/make/make-captures.sh,
 * and next to it is what `ss -tan` showed in each namespace when the capture stopped.
 * tcpstate's end state for each side must be the kernel's: for a socket ss listed, its state;
 * for a side with no socket on that four-tuple, CLOSED (a listening socket is not the connection's).
 * Where tcpstate says the capture cannot tell (possibleStates), the kernel's state must be among them.
 */
const DIR = join(import.meta.dirname, '..', 'captures');
const SS_STATES: Record<string, string> = {
  ESTAB: 'ESTABLISHED', 'SYN-SENT': 'SYN_SENT', 'SYN-RECV': 'SYN_RCVD', 'FIN-WAIT-1': 'FIN_WAIT_1',
  'FIN-WAIT-2': 'FIN_WAIT_2', 'TIME-WAIT': 'TIME_WAIT', 'CLOSE-WAIT': 'CLOSE_WAIT', 'LAST-ACK': 'LAST_ACK', CLOSING: 'CLOSING',
};

interface Truth {
  hosts: Record<string, { ss: { state: string; local: string; peer: string }[] }>;
  /** Address prefixes no namespace owns (spoofed sources): no ss speaks for a side there. */
  unowned?: string[];
}

const captures = readdirSync(DIR).filter((f) => /\.(pcap|pcapng)$/.test(f)).sort();

describe('end states equal the kernel truth', () => {
  it('has the captures the issue lists', () => {
    for (const name of ['client-closes-first', 'server-closes-first', 'server-never-closes', 'refused', 'abort-linger0',
      'final-ack-dropped', 'half-open', 'syn-dropped', 'time-wait-pileup', 'simultaneous-close', 'ipv6', 'any-sll2',
      'pcapng', 'nanosecond', 'vlan', 'qinq']) {
      expect(captures.some((c) => c.startsWith(`${name}.`)), name).toBe(true);
    }
  });

  for (const file of captures) {
    it(file, async () => {
      const truth = JSON.parse(readFileSync(join(DIR, file.replace(/\.(pcap|pcapng)$/, '.truth.json')), 'utf8')) as Truth;
      const sockets = Object.values(truth.hosts).flatMap((h) => h.ss).filter((s) => s.state !== 'LISTEN');
      const report = await analyze([join(DIR, file)]);
      expect(report.damage).toBeNull();
      // Refused and aborted connections leave no socket at all: then both sides must be CLOSED.
      expect(report.summary.connections).toBeGreaterThan(0);
      const matched = new Set<object>();
      const got: string[] = [];
      const want: string[] = [];
      // A four-tuple used again: the sockets ss lists are the last connection's; the earlier ones had none left.
      const last = new Map<string, number>();
      for (const c of conns(report)) last.set(`${endpointToString(c.family, c.client)} ${endpointToString(c.family, c.server)}`, c.id);
      for (const c of conns(report)) {
        const client = endpointToString(c.family, c.client);
        const server = endpointToString(c.family, c.server);
        const current = last.get(`${client} ${server}`) === c.id;
        const kc = current ? sockets.find((s) => s.local === client && s.peer === server) : undefined;
        const ks = current ? sockets.find((s) => s.local === server && s.peer === client) : undefined;
        if (kc) matched.add(kc);
        if (ks) matched.add(ks);
        const unowned = (e: string) => (truth.unowned ?? []).some((prefix) => e.startsWith(prefix));
        const kernel = (e: string, k: typeof kc) => (unowned(e) ? 'unowned' : k ? SS_STATES[k.state]! : 'CLOSED');
        // The state tcpstate reports, or, when it says it cannot tell, the kernel's if it is among those it lists.
        const ours = (e: string, r: typeof c.client, k: typeof kc) => {
          if (unowned(e)) return 'unowned';
          const possible = [r.state, ...r.possibleStates].map((x): string => STATE_NAMES[x]!);
          return possible.includes(kernel(e, k)) ? kernel(e, k) : possible.join('|');
        };
        got.push(`${client} ${ours(client, c.client, kc)} / ${server} ${ours(server, c.server, ks)}`);
        want.push(`${client} ${kernel(client, kc)} / ${server} ${kernel(server, ks)}`);
      }
      expect(got).toEqual(want);
      // Every socket the kernel held is a connection tcpstate found.
      expect(sockets.filter((s) => !matched.has(s))).toEqual([]);
    });
  }
});

describe('what a four-tuple used again proves', () => {
  it('port-reuse.pcap: each new SYN from the client port shows that the last connection\'s final ACK reached the client', async () => {
    // The server closed each first; the client's LAST_ACK ended with the server's ACK, which nothing after it
    // acknowledges. A socket in LAST_ACK still holds the four-tuple: the client's next SYN on it shows it was closed.
    const cs = conns(await analyze([join(DIR, 'port-reuse.pcap')]));
    expect(cs.map((c) => `${STATE_NAMES[c.client.state]}${c.client.possibleStates.length ? '?' : ''} / ${STATE_NAMES[c.server.state]}`))
      .toEqual(['CLOSED / CLOSED', 'CLOSED / CLOSED', 'CLOSED / TIME_WAIT']);
    expect(cs.map((c) => c.client.port)).toEqual([45001, 45001, 45001]);
  });
});
