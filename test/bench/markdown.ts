/** What `npm run bench` measured on one capture. */
export interface Section {
  label: string;
  file: string;
  packets: number;
  bytes: number;
  cores: number;
  runs: number;
  /** Each command's median wall seconds and peak RSS. */
  rows: { name: string; seconds: number; rssMb: number }[];
  /** The in-process stage times, ms (stages.ts): read, decode, track, detect, text, json, and `render text`, `render json` (the rendering alone). */
  stages: Record<string, number>;
  targets: Target[];
}

export interface Target { name: string; value: string; pass: boolean | null }

/**
 * One capture's tables, as `npm run bench -- --markdown` prints them and the README's Performance
 * section holds them (test/bench.test.ts keeps the README in this format).
 */
export function benchSection(s: Section): string[] {
  const out: string[] = [];
  const st = s.stages;
  // A stage's cost is a difference of two timings: one below zero is a stage too cheap to see past their noise.
  const diff = (a: number, b: number) => (b < a ? `~0 (${(b - a).toFixed(0)}, noise)` : (b - a).toFixed(0));
  const ns = (a: number, b: number) => (b < a ? '~0' : (((b - a) * 1e6) / s.packets).toFixed(0));
  out.push(`${s.label}: ${s.file}: ${s.packets.toLocaleString('en-US')} packets, ${(s.bytes / 1e6).toFixed(1)} MB; ${s.cores} cores; median of ${s.runs} rounds, round-robin`, '');
  out.push('| tool | wall s | peak RSS MB |', '|---|---|---|');
  for (const r of s.rows) out.push(`| \`${r.name}\` | ${r.seconds.toFixed(2)} | ${r.rssMb.toFixed(0)} |`);
  out.push('');
  out.push('| stage (one thread, in-process, fastest of several) | ms | ns per packet |', '|---|---|---|');
  out.push(`| read | ${diff(0, st.read!)} | ${ns(0, st.read!)} |`);
  out.push(`| decode | ${diff(st.read!, st.decode!)} | ${ns(st.read!, st.decode!)} |`);
  out.push(`| track (table, both machines, Wireshark's analysis, report model) | ${diff(st.decode!, st.track!)} | ${ns(st.decode!, st.track!)} |`);
  out.push(`| detect | ${diff(st.track!, st.detect!)} | ${ns(st.track!, st.detect!)} |`);
  out.push(`| render text | ${diff(0, st['render text']!)} | ${ns(0, st['render text']!)} |`);
  out.push(`| render JSON (every connection kept) | ${diff(0, st['render json']!)} | ${ns(0, st['render json']!)} |`);
  out.push('');
  out.push('| target | measured | |', '|---|---|---|');
  for (const t of s.targets) out.push(`| ${t.name} | ${t.value} | ${t.pass === null ? 'not checked' : t.pass ? 'PASS' : 'FAIL'} |`);
  out.push('');
  return out;
}
