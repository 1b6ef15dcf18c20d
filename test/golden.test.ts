import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { casesIn, GOLDEN, GOLDEN_CASES, ROOT, SETS, type GoldenSet } from './golden/cases.js';

/** The table of golden cases (test/golden/cases.ts) and the files agree, both ways. */
describe('golden cases', () => {
  it('every case has its files', () => {
    for (const c of GOLDEN_CASES) {
      expect(existsSync(join(ROOT, c.capture)), c.capture).toBe(true);
      for (const set of c.sets) for (const f of SETS[set].files(c.capture)) expect(existsSync(join(GOLDEN, f)), f).toBe(true);
    }
  });

  it('every golden file belongs to a case', () => {
    const claimed = new Set(GOLDEN_CASES.flatMap((c) => c.sets.flatMap((s) => SETS[s].files(c.capture))));
    for (const dir of ['tcpdump', 'tshark-conv', 'tshark-mptcp', 'reports', 'markdown']) {
      for (const f of readdirSync(join(GOLDEN, dir))) {
        if (f === 'VERSION') continue;
        expect(claimed.has(`${dir}/${f}`), `${dir}/${f}`).toBe(true);
      }
    }
  });

  it('the tshark JSON goldens hold exactly their cases', () => {
    for (const [set, file] of [['tshark-frames', 'tshark.json'], ['tshark-analysis', 'tshark-analysis.json'], ['tshark-irtt', 'tshark-irtt.json']] as [GoldenSet, string][]) {
      const files = Object.keys((JSON.parse(readFileSync(join(GOLDEN, file), 'utf8')) as { files: object }).files);
      expect(files.sort(), file).toEqual(casesIn(set).sort());
    }
  });

  it('every capture in the repository is compared with tcpdump and tshark', () => {
    const captures = ['captures', 'captures/zeek'].flatMap((d) => readdirSync(join(ROOT, d))
      .filter((f) => /\.(pcap|pcapng)$/.test(f)).map((f) => `${d}/${f}`));
    expect(captures.length).toBeGreaterThan(70);
    for (const c of captures) {
      const sets = GOLDEN_CASES.find((g) => g.capture === c)?.sets ?? [];
      expect(sets, c).toEqual(expect.arrayContaining(['tcpdump', 'tshark-frames', 'tshark-conv', 'tshark-analysis', 'tshark-irtt']));
    }
  });
});
