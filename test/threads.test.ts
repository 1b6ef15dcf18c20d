import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, type AnalyzeOptions } from '../src/index.js';
import { renderHtml, renderJson, renderMarkdown, renderText, renderZeek } from '../src/report/index.js';
import { memoryInput } from './helpers/build.js';

const ROOT = join(import.meta.dirname, '..');

/** Every format of the report, as one string each. */
async function reports(inputs: Parameters<typeof analyze>[0] | (() => Parameters<typeof analyze>[0]), options: AnalyzeOptions): Promise<Record<string, string>> {
  const fresh = typeof inputs === 'function' ? inputs : () => inputs;
  const all = await analyze(fresh(), { ...options, zeek: true, transitions: true });
  const notable = await analyze(fresh(), { ...options, keep: 'notable' });
  expect(all.damage).toBeNull();
  const text = (g: Iterable<string>) => [...g].join('');
  return {
    json: text(renderJson(all)), zeek: text(renderZeek(all)), markdown: text(renderMarkdown(all)), html: text(renderHtml(all)),
    text: text(renderText(notable)), all: text(renderText(all, { all: true })),
  };
}

function captures(): string[] {
  const out: string[] = [];
  for (const dir of ['captures', 'captures/zeek']) {
    for (const f of readdirSync(join(ROOT, dir)).sort()) if (/\.(pcap|pcapng|gz)$/.test(f)) out.push(join(dir, f));
  }
  return out;
}

describe('--threads: every format byte for byte the same as on one thread', () => {
  for (const f of captures()) {
    it(f, async () => {
      const one = await reports([join(ROOT, f)], { threads: 1 });
      expect(await reports([join(ROOT, f)], { threads: 3 })).toEqual(one);
    }, 60000);
  }

  it('with the table bounded so tightly that partitions evict, and the idle timeout short', async () => {
    for (const f of ['captures/mixed.pcap', 'captures/syn-flood.pcap', 'captures/time-wait-pileup.pcap']) {
      const bounds = { maxConnections: 20, idleTimeout: 0.5, maxRows: 50 };
      const one = await reports([join(ROOT, f)], { ...bounds, threads: 1 });
      expect(JSON.parse(one.json).summary.limits.evictedFull + JSON.parse(one.json).summary.limits.evictedIdle, f).toBeGreaterThan(0);
      for (const threads of [2, 5]) expect(await reports([join(ROOT, f)], { ...bounds, threads }), `${f} ${threads}`).toEqual(one);
    }
  }, 120000);

  it('for several files merged, and for a stream (its evidence copied, not read again)', async () => {
    const rotated = [0, 1, 2, 3].map((k) => join(ROOT, 'captures', 'rotated', `time-wait-pileup.pcap${k}`));
    expect(await reports(rotated, { threads: 2 })).toEqual(await reports(rotated, { threads: 1 }));
    const bytes = readFileSync(join(ROOT, 'captures', 'mixed.pcap'));
    const stream = () => [memoryInput('mixed.pcap', bytes)];
    const one = await reports(stream, { threads: 1 });
    expect(one.text).toContain('Connections  ');
    expect(await reports(stream, { threads: 4 })).toEqual(one);
  }, 60000);

  it('for a capture damaged in the middle: the same report of what came before, the same damage', async () => {
    const bytes = readFileSync(join(ROOT, 'captures', 'syn-flood.pcap'));
    const cut = bytes.subarray(0, Math.floor(bytes.length * 0.6));
    const one = await analyze([memoryInput('cut.pcap', cut)], { threads: 1 });
    const two = await analyze([memoryInput('cut.pcap', cut)], { threads: 2 });
    expect(one.damage?.message).toMatch(/truncated/);
    expect(two.damage?.message).toBe(one.damage?.message);
    expect([...renderJson(two)].join('')).toBe([...renderJson(one)].join(''));
  });

  it('rejects a thread count that is not a whole number of at least 1', async () => {
    await expect(analyze([join(ROOT, 'captures', 'refused.pcap')], { threads: 0 })).rejects.toThrow(/threads/);
  });
});
