import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { printCapture } from '../src/index.js';
import { PassThrough } from 'node:stream';
import { casesIn, flat } from './golden/cases.js';

const ROOT = join(import.meta.dirname, '..');
const GOLDEN = join(ROOT, 'test', 'golden', 'tcpdump');

/**
 * The TCP lines of a printout, through `length N` (tcpdump's application-layer text after that is
 * not ours to print). A VXLAN segment's own line follows its tunnel's on a line of its own, with no time.
 */
function tcpLines(text: string): string[] {
  // A GENEVE header has flags of its own: a line cut inside it holds no TCP.
  return text.split('\n')
    .filter((l) => (/(^| )IP6? /.test(l) && /(?<!Geneve, )Flags \[|\[\|(tcp|mptcp)\]|bad hdr length/.test(l)) || / IP bad-len \d+$/.test(l))
    .map((l) => /^(.*?Flags \[.*?, length \d+)/.exec(l)?.[1] ?? l);
}

function tcpdumpLines(file: string): string[] {
  return tcpLines(readFileSync(join(GOLDEN, file), 'utf8'));
}

async function printed(capture: string, options: Parameters<typeof printCapture>[1]): Promise<string[]> {
  const lines: string[] = [];
  const r = await printCapture([join(ROOT, capture)], options, (s) => lines.push(s.slice(0, -1)));
  expect(r.damage).toBeNull();
  return lines;
}

describe('print --no-states is tcpdump -nn, line for line', () => {
  const files = casesIn('tcpdump').flatMap((c) => [`${flat(c)}.txt`, `${flat(c)}.S.txt`]);
  let lines = 0;
  it('has golden files for every capture and the edge cases', () => {
    expect(files.length).toBeGreaterThanOrEqual(50);
    expect(files).toContain('test__fixtures__edge-cases.pcap.txt');
    expect(readFileSync(join(GOLDEN, 'VERSION'), 'utf8')).toContain('tcpdump version 4.99.3');
  });
  for (const file of files) {
    it(file, async () => {
      const capture = file.replace(/(\.S)?\.txt$/, '').replace(/__/g, '/');
      // Some captures hold TCP only inside tunnels tcpdump does not open (GTP-U): then both print nothing.
      const want = tcpdumpLines(file);
      const got = tcpLines((await printed(capture, { states: false, absolute: file.endsWith('.S.txt') })).join('\n'));
      expect(got).toEqual(want);
      lines += want.length;
    });
  }
  it('compared thousands of lines', () => {
    expect(lines).toBeGreaterThan(2000);
    console.log(`print --no-states: ${lines} of ${lines} TCP lines identical to tcpdump's (${files.length} golden files)`);
  });
});

describe('print with states', () => {
  it('follows each line with both sides\' states, and the change the packet made', async () => {
    const lines = await printed('captures/refused.pcap', {});
    expect(lines).toHaveLength(2);
    // Nothing listened: the server side never had a socket for the tuple, before the RST or after it.
    expect(lines[0]).toMatch(/Flags \[S\], .* length 0  client CLOSED→SYN_SENT  server CLOSED$/);
    expect(lines[1]).toMatch(/Flags \[R\.\], seq 0, ack \d+, win 0, length 0  client SYN_SENT→CLOSED  server CLOSED$/);
  });

  it('--conn limits to one connection, numbered as analyze numbers them', async () => {
    const all = await printed('captures/time-wait-pileup.pcap', { states: false });
    const third = await printed('captures/time-wait-pileup.pcap', { states: false, conn: 3 });
    expect(third).toHaveLength(10);
    const port = /10\.77\.0\.1\.(\d+) >/.exec(third[0]!)![1];
    expect(third).toEqual(all.filter((l) => l.includes(`10.77.0.1.${port} `) || l.includes(`> 10.77.0.1.${port}:`)));
  });

  it('the CLI prints them, and -S and --no-states work', async () => {
    let out = '';
    const stdout = new PassThrough();
    stdout.on('data', (d) => (out += d));
    const code = await main(['print', '-S', '--no-states', join(ROOT, 'captures/refused.pcap')], { stdout, stderr: new PassThrough() });
    expect(code).toBe(0);
    expect(out.split('\n')).toEqual([...tcpdumpLines('captures__refused.pcap.S.txt'), '']);
  });
});
