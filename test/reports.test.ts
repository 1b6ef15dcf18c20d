import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, renderJson, renderMarkdown, renderText, renderZeek } from '../src/index.js';
import { buildPcap, memoryInput } from './helpers/build.js';
import { casesIn } from './golden/cases.js';

const ROOT = join(import.meta.dirname, '..');
const GOLDEN = join(ROOT, 'test', 'golden', 'markdown');

/** The report as the CLI writes it for `tcpstate analyze -f markdown captures/NAME` run from the repository. */
async function markdown(name: string): Promise<string> {
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    return [...renderMarkdown(await analyze([`captures/${name}`]))].join('');
  } finally {
    process.chdir(cwd);
  }
}

/** Every format of one report, as the CLI writes it from the repository's root. */
async function formats(name: string): Promise<Record<string, string>> {
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    const r = await analyze([`captures/${name}`], { zeek: true });
    const all = (g: Iterable<string>) => [...g].join('');
    return { json: all(renderJson(r)), txt: all(renderText(r)), 'zeek.txt': all(renderZeek(r)) };
  } finally {
    process.chdir(cwd);
  }
}

describe('golden reports in the other formats', () => {
  for (const name of casesIn('reports').map((c) => c.replace(/^captures\//, ''))) {
    it(`${name}: JSON, text and Zeek conn.log, byte for byte`, async () => {
      const out = await formats(name);
      for (const [ext, text] of Object.entries(out)) {
        const file = join(ROOT, 'test', 'golden', 'reports', `${name}.${ext}`);
        if (process.env.UPDATE_GOLDEN) {
          mkdirSync(join(ROOT, 'test', 'golden', 'reports'), { recursive: true });
          writeFileSync(file, text);
        }
        expect(text, file).toBe(readFileSync(file, 'utf8'));
      }
    });
  }
});

describe('--format markdown', () => {
  // Golden files; `UPDATE_GOLDEN=1 npx vitest run test/reports.test.ts` writes them again after a deliberate change.
  for (const name of casesIn('markdown').map((c) => c.replace(/^captures\//, ''))) {
    it(`${name} gives the golden report, byte for byte, every time`, async () => {
      const md = await markdown(name);
      const file = join(GOLDEN, `${name}.md`);
      if (process.env.UPDATE_GOLDEN) {
        mkdirSync(GOLDEN, { recursive: true });
        writeFileSync(file, md);
      }
      expect(md).toBe(readFileSync(file, 'utf8'));
      expect(await markdown(name)).toBe(md);
    });
  }

  it('keeps capture-supplied text from breaking out of code spans and table cells', async () => {
    const segs = [
      { t: 1, from: 'c' as const, flags: 'S', seq: 1 },
      { t: 1.001, from: 's' as const, flags: 'R.', seq: 0, ack: 2 },
    ];
    const r = await analyze([memoryInput('we`ird|name <b>.pcap', buildPcap(segs))]);
    const md = [...renderMarkdown(r)].join('');
    expect(md).toContain('# tcpstate report: ``we`ird\\|name <b>.pcap``');
    expect(md).toContain('| Capture | ``we`ird\\|name <b>.pcap``: pcap,');
    // The name appears nowhere but inside those code spans, where Markdown shows it as it is.
    expect(md.split('we`ird').length).toBe(md.split('``we`ird\\|name <b>.pcap``').length);
  });
});
