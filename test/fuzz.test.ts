import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mutate, rng, runOne, seeds, variant } from './fuzz/fuzz.js';

const ROOT = join(import.meta.dirname, '..');

describe('fuzzing, a quick run (npm run fuzz -- --runs N --seed S for a long one)', () => {
  it('300 mutated captures: no exception, none over 5 s', async () => {
    const files = seeds(ROOT);
    const failures: string[] = [];
    const kinds = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const { what, bytes } = mutate(files, rng(1 * 1000003 + i));
      kinds.add(what.split(' ').at(-1)!);
      const error = await runOne(bytes, 5000, 1024, variant(i));
      if (error) failures.push(`case ${i} (${what}): ${error.split('\n')[0]}`);
    }
    expect(failures).toEqual([]);
    expect(kinds.size).toBeGreaterThan(8);
  }, 120000);

  it('the same seed gives the same cases', () => {
    const files = seeds(ROOT);
    const a = mutate(files, rng(42));
    const b = mutate(files, rng(42));
    expect(a.what).toBe(b.what);
    expect(Buffer.compare(a.bytes, b.bytes)).toBe(0);
  });
});
