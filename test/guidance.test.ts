import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../src/analyze.js';
import { FINDING_KINDS } from '../src/detect/index.js';
import { GUIDANCE, guidanceOf } from '../src/report/guidance.js';
import { renderHtml, renderJson, renderMarkdown, renderText } from '../src/report/index.js';
import { summaryParagraph } from '../src/report/summary.js';

const CAP = join(import.meta.dirname, '..', 'captures');
const CAPTURES = readdirSync(CAP).filter((f) => /\.pcap(ng)?(\.gz)?$/.test(f));

/**
 * The paragraph every report opens with, and each finding's "next steps", in every format, for
 * every finding kind the repository's captures give.
 */
describe('summary and guidance', () => {
  it('has guidance for exactly the finding kinds there are', () => {
    expect(Object.keys(GUIDANCE).sort()).toEqual([...FINDING_KINDS].sort());
  });

  it('every capture: the summary opens every format, and every finding has its causes and checks in every format', async () => {
    const seen = new Set<string>();
    for (const file of CAPTURES) {
      const report = await analyze([join(CAP, file)], { keep: 'all', transitions: true });
      const summary = summaryParagraph(report);
      expect(summary, file).toMatch(/^(From .* UTC .*\.|The capture holds no packets\.)$/);
      const text = [...renderText(report)].join('');
      const markdown = [...renderMarkdown(report)].join('');
      const html = [...renderHtml(report)].join('');
      const json = JSON.parse([...renderJson(report)].join(''));
      expect(text.split('\n')[2], file).toMatch(/^Summary {6}From /);
      expect(markdown, file).toContain('**Summary.** ');
      expect(json.summary.text).toBe(summary);
      expect(html).toContain(JSON.stringify(summary).slice(1, 40));
      for (const [k, f] of report.findings.entries()) {
        seen.add(f.kind);
        const g = guidanceOf(f);
        expect(g.causes.length + g.check.length).toBeGreaterThan(1);
        // Specific to the finding: its endpoint's address or a figure of its counts is in what it says.
        const said = [...g.causes, ...g.check].join(' ');
        const figures = Object.values(f.counts).filter((v) => typeof v === 'number' && v > 1).map(String);
        const host = f.endpoint?.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
        if (f.kind !== 'simultaneous_close') expect(figures.some((n) => said.includes(n)) || (host !== undefined && said.includes(host)), `${file} ${f.kind}`).toBe(true);
        expect(text).toContain(`  next: ${g.check[0]}`);
        expect(json.findings[k].guidance).toEqual(g);
        expect(markdown).toContain('**Next steps.**');
        expect(html).toContain(JSON.stringify(g.check[0]).slice(1, -1).replace(/</g, '\\u003c'));
      }
    }
    // The kinds the repository has a capture of; the others are held by the first test.
    expect(seen.size).toBeGreaterThanOrEqual(15);
  });

  it('a report with --title and --note shows them in every format\'s header', async () => {
    const report = await analyze([join(CAP, 'server-never-closes.pcap')], { keep: 'all' });
    report.title = 'INC-4711 checkout timeouts';
    report.note = 'clients saw connection resets from 20:20 UTC';
    const text = [...renderText(report)].join('');
    expect(text).toContain('Title        INC-4711 checkout timeouts\nNote         clients saw connection resets from 20:20 UTC\n');
    expect([...renderMarkdown(report)].join('')).toMatch(/^# INC-4711 checkout timeouts\n\nclients saw connection resets from 20:20 UTC\n/);
    const json = JSON.parse([...renderJson(report)].join(''));
    expect([json.title, json.note]).toEqual([report.title, report.note]);
    expect([...renderHtml(report)].join('')).toContain('"title":"INC-4711 checkout timeouts","note":"clients saw connection resets from 20:20 UTC"');
  });
});
