import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchSection, type Section } from './bench/markdown.js';

const README = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');

/** The README's benchmark figures: what `npm run bench -- --markdown` printed, pasted between the markers. */
function block(): string {
  const m = /<!-- bench:begin[^>]*-->\n([\s\S]*?)<!-- bench:end -->/.exec(README);
  if (!m) throw new Error('README.md has no <!-- bench:begin --> … <!-- bench:end --> block');
  return m[1]!;
}

/** Numbers out (a stage lost in the noise, `~0 (-12, noise)`, is a number too): what is left is the format (titles, columns, row names, units, PASS/FAIL). */
const shape = (s: string) => s.replace(/~0( \(-\d+, noise\))?/g, '0').replace(/-?\d[\d,]*(\.\d+)?/g, '#');

/**
 * The same tables made by benchSection from the names (not the figures) the README shows: if the
 * bench's output changes (a row, a column, a target) the README must be made again with it.
 */
function remade(text: string): string {
  const out: string[] = [];
  for (const part of text.split(/\n(?=(?:short|bulk): )/)) {
    const lines = part.split('\n');
    const head = /^(short|bulk): (\S+): /.exec(lines[0]!)!;
    const tables = part.split('\n\n').slice(1);
    const rowsOf = (t: string) => t.split('\n').filter((l) => l.startsWith('| ')).slice(1).map((l) => l.slice(2, -2).split(' | '));
    const section: Section = {
      label: head[1]!, file: head[2]!, packets: 1, bytes: 1, cores: 1, runs: 1,
      rows: rowsOf(tables[0]!).map((c) => ({ name: c[0]!.replace(/`/g, ''), seconds: 1, rssMb: 1 })),
      stages: { read: 1, decode: 2, track: 3, detect: 4, text: 5, json: 6, 'render text': 1, 'render json': 1 },
      targets: rowsOf(tables[2]!).map((c) => ({ name: c[0]!, value: c[1]!, pass: c[2] === 'PASS' ? true : c[2] === 'FAIL' ? false : null })),
    };
    out.push(...benchSection(section));
  }
  return out.join('\n');
}

describe('the README benchmark figures', () => {
  it('are in the format npm run bench -- --markdown prints, for both captures', () => {
    const text = block();
    expect(text).toMatch(/^short: /m);
    expect(text).toMatch(/^bulk: /m);
    expect(shape(text.trimEnd())).toBe(shape(remade(text).trimEnd()));
  });

  it('hold a figure in every cell, and a verdict for every target', () => {
    for (const l of block().split('\n').filter((x) => x.startsWith('| `'))) expect(l).toMatch(/\| \d+\.\d\d \| \d+ \|$/);
    for (const l of block().split('\n').filter((x) => /^\| (decode, track|--threads|-f zeek|text report)/.test(x))) {
      expect(l).toMatch(/\| (PASS|FAIL|not checked) \|$/);
    }
  });
});
