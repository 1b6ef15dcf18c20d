import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

const ROOT = join(import.meta.dirname, '..');

/**
 * A ````console block of the README: `$ tcpstate ARGS`, what it prints, and optionally `$ echo $?`
 * with the exit code (0 when absent). A last line `…` means the block shows only the first lines.
 */
interface Example { command: string; args: string[]; lines: string[]; cut: boolean; code: number }

function examples(readme: string): Example[] {
  const out: Example[] = [];
  for (const m of readme.matchAll(/^````console\n([\s\S]*?)\n````$/gm)) {
    const lines = m[1]!.split('\n');
    const command = lines.shift()!;
    if (!command.startsWith('$ tcpstate ')) throw new Error(`a README example must begin with "$ tcpstate": ${command}`);
    let code = 0;
    const echo = lines.indexOf('$ echo $?');
    if (echo >= 0) {
      code = Number(lines[echo + 1]);
      lines.splice(echo);
    }
    const cut = lines[lines.length - 1] === '…';
    if (cut) lines.pop();
    out.push({ command, args: command.slice('$ tcpstate '.length).split(' '), lines, cut, code });
  }
  return out;
}

describe('README examples', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const all = examples(readme);

  it('has the five tasks, each with a real command on a capture in captures/', () => {
    expect(all.length).toBeGreaterThanOrEqual(5);
    for (const e of all) expect(e.args.some((a) => a.startsWith('captures/'))).toBe(true);
  });

  it.each(all.map((e) => [e.command, e] as const))('%s prints what the README shows', async (_name, e) => {
    const cwd = process.cwd();
    process.chdir(ROOT);
    try {
      const r = await runCli(e.args);
      expect(r.code).toBe(e.code);
      const got = r.out.replace(/\n$/, '').split('\n');
      if (e.cut) {
        expect(e.lines.length).toBeGreaterThan(0);
        expect(got.length).toBeGreaterThan(e.lines.length);
        expect(got.slice(0, e.lines.length)).toEqual(e.lines);
      } else {
        expect(got).toEqual(e.lines);
      }
    } finally {
      process.chdir(cwd);
    }
  });
});
