import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The pipeline's stages, first to last: a file imports only from its own stage or an earlier one
 * (type imports included), and no files import each other in a circle. zeek/ follows the capture
 * beside tcp/ and may use its table's hashing; tcp/ knows nothing of Zeek.
 */
const STAGES: [string, number][] = [
  ['lowest.ts', 0], ['lru.ts', 0], ['digits.ts', 0], ['version.ts', 0], ['types-pcap-parser.d.ts', 0],
  ['capture/', 1],
  ['decode/', 2],
  ['tcp/', 3],
  ['zeek/', 3.5],
  ['detect/', 4],
  ['pipeline/', 5],
  ['report/', 6],
  ['analyze.ts', 7], ['print.ts', 7], ['show.ts', 7], ['watch.ts', 7],
  ['correlate/', 7.5],
  ['check/', 8],
  ['cli/', 9], ['index.ts', 9],
];

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function stageOf(file: string): number {
  const rel = relative(SRC, file).replaceAll('\\', '/');
  const s = STAGES.find(([prefix]) => (prefix.endsWith('/') ? rel.startsWith(prefix) : rel === prefix));
  if (s === undefined) throw new Error(`src/${rel} belongs to no stage: add it to STAGES`);
  return s[1];
}

/** Every module a file imports or re-exports from, inside src/ (type-only ones too). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+'(\.[^']+)'/gms)) {
    out.push(resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')));
  }
  return out;
}

const graph = new Map(files(SRC).map((f) => [f, importsOf(f)]));

describe('the import structure of src/', () => {
  it('reads the imports (the parser finds the ones it must)', () => {
    expect(graph.get(join(SRC, 'analyze.ts'))).toContain(join(SRC, 'report', 'model.ts'));
    expect(graph.get(join(SRC, 'report', 'json.ts'))!.length).toBeGreaterThan(2);
    for (const [file, deps] of graph) for (const d of deps) expect(graph.has(d), `${relative(SRC, file)} imports ${relative(SRC, d)}`).toBe(true);
  });

  it('has no stage importing a later one', () => {
    const backwards: string[] = [];
    for (const [file, deps] of graph) {
      for (const d of deps) if (stageOf(d) > stageOf(file)) backwards.push(`${relative(SRC, file)} -> ${relative(SRC, d)}`);
    }
    expect(backwards).toEqual([]);
  });

  it('has no import cycle', () => {
    // Tarjan's strongly connected components: any with more than one file is a cycle.
    let counter = 0;
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    const visit = (v: string): void => {
      index.set(v, counter);
      low.set(v, counter++);
      stack.push(v);
      onStack.add(v);
      for (const w of graph.get(v) ?? []) {
        if (!index.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) {
          low.set(v, Math.min(low.get(v)!, index.get(w)!));
        }
      }
      if (low.get(v) === index.get(v)) {
        const scc: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          scc.push(relative(SRC, w));
        } while (w !== v);
        if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(scc.sort());
      }
    };
    for (const v of graph.keys()) if (!index.has(v)) visit(v);
    expect(cycles).toEqual([]);
  });
});
