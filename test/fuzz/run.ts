import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Failure, mutate, rng, runOne, seeds, variant } from './fuzz.js';

/**
 * npm run fuzz -- --runs N --seed S [--time-ms T] [--heap-mb M]
 *
 * Mutates the real captures in captures/ (and Zeek's) and random bytes, runs each through the
 * library and every renderer, and fails on an exception, a run over the time bound or a heap over
 * the memory bound. Case i of seed S is the same on every machine; failing inputs are written to
 * test/fuzz/crashes/ to become regression captures.
 */
const ROOT = join(import.meta.dirname, '..', '..', '..');
const { values } = parseArgs({ options: {
  runs: { type: 'string', default: '1000' }, seed: { type: 'string', default: '1' },
  'time-ms': { type: 'string', default: '5000' }, 'heap-mb': { type: 'string', default: '512' },
} });
const runs = Number(values.runs);
const seed = Number(values.seed);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) {
  console.error('usage: npm run fuzz -- --runs N --seed S');
  process.exit(2);
}
const files = seeds(ROOT);
const failures: Failure[] = [];
const start = performance.now();
for (let i = 0; i < runs; i++) {
  const { what, bytes } = mutate(files, rng(seed * 1000003 + i));
  const error = await runOne(bytes, Number(values['time-ms']), Number(values['heap-mb']), variant(i));
  if (error) {
    failures.push({ index: i, what, error, bytes });
    const dir = join(ROOT, 'test', 'fuzz', 'crashes');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `seed${seed}-case${i}.pcap`), bytes);
    console.error(`FAIL case ${i} (${what}): ${error.split('\n')[0]}`);
  }
  if ((i + 1) % 1000 === 0) console.error(`fuzz: ${i + 1} of ${runs} runs, ${failures.length} failures, ${((performance.now() - start) / 1000).toFixed(0)} s`);
}
console.log(`fuzz: ${runs} runs, seed ${seed}, ${((performance.now() - start) / 1000).toFixed(1)} s, ${failures.length} failures`);
process.exitCode = failures.length ? 1 : 0;
