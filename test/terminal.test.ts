import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { Progress } from '../src/cli/progress.js';

const CAP = join(import.meta.dirname, '..', 'captures');

const run = (tty: { out: boolean; err: boolean }, ...args: string[]) => runCli(args, tty);

describe('terminal manners', () => {
  const saved = { NO_COLOR: process.env.NO_COLOR, CI: process.env.CI };
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('colours severities on a terminal, never with NO_COLOR, never into a pipe or a file', async () => {
    delete process.env.NO_COLOR;
    const file = join(CAP, 'mixed.pcap');
    expect((await run({ out: true, err: false }, 'analyze', file)).out).toContain('\x1b[33mWARNING \x1b[0m  close_wait_leak');
    expect((await run({ out: false, err: false }, 'analyze', file)).out).not.toContain('\x1b[');
    process.env.NO_COLOR = '1';
    expect((await run({ out: true, err: false }, 'analyze', file)).out).not.toContain('\x1b[');
  });

  it('writes no progress line for a run under a second, nor when standard error is not a terminal, nor under CI', async () => {
    delete process.env.CI;
    const file = join(CAP, 'syn-flood.pcap');
    expect((await run({ out: false, err: true }, 'analyze', file)).err).toBe('');
    expect((await run({ out: false, err: false }, 'analyze', file)).err).toBe('');
    process.env.CI = 'true';
    expect((await run({ out: false, err: true }, 'analyze', file)).err).toBe('');
  });
});

describe('the progress line', () => {
  function progress(total: number | null) {
    let now = 0;
    let written = '';
    const out = new PassThrough();
    out.on('data', (d) => (written += d));
    const p = new Progress(out, total, () => now);
    return { p, tick: (ms: number) => (now += ms), text: () => written };
  }

  it('appears after a second, at most five times a second, with packets/s, share and ETA; is erased at the end', async () => {
    const { p, tick, text } = progress(1000);
    tick(900);
    p.update(90000, 300);
    expect(text()).toBe('');
    tick(100);
    p.update(100000, 250);
    expect(text()).toBe('\rtcpstate: 100,000 packets, 100,000 packets/s, 25%, about 3 s left\x1b[K');
    tick(100);
    p.update(110000, 275);
    expect(text().split('\r').length).toBe(2);
    tick(100);
    p.update(120000, 300);
    expect(text()).toContain('\rtcpstate: 120,000 packets, 100,000 packets/s, 30%');
    p.done();
    await new Promise((r) => setImmediate(r));
    expect(text().endsWith('\r\x1b[K')).toBe(true);
  });

  it('shows no share or ETA when the size is unknown (stdin, gzip)', async () => {
    const { p, tick, text } = progress(null);
    tick(2000);
    p.update(50000, 0);
    expect(text()).toBe('\rtcpstate: 50,000 packets, 25,000 packets/s\x1b[K');
  });
});
