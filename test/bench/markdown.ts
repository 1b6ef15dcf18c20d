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
  const ns = (a: number, b: number) => ((b - a) * 1e6) / s.packets;
  out.push(`${s.label}: ${s.file}: ${s.packets.toLocaleString('en-US')} packets, ${(s.bytes / 1e6).toFixed(1)} MB; ${s.cores} cores; median of ${s.runs} rounds, round-robin`, '');
  out.push('| tool | wall s | peak RSS MB |', '|---|---|---|');
  for (const r of s.rows) out.push(`| \`${r.name}\` | ${r.seconds.toFixed(2)} | ${r.rssMb.toFixed(0)} |`);
  out.push('');
  out.push('| stage (one thread, in-process, fastest of several) | ms | ns per packet |', '|---|---|---|');
  out.push(`| read | ${st.read!.toFixed(0)} | ${ns(0, st.read!).toFixed(0)} |`);
  out.push(`| decode | ${(st.decode! - st.read!).toFixed(0)} | ${ns(st.read!, st.decode!).toFixed(0)} |`);
  out.push(`| track (table, both machines, Wireshark's analysis, report model) | ${(st.track! - st.decode!).toFixed(0)} | ${ns(st.decode!, st.track!).toFixed(0)} |`);
  out.push(`| detect | ${(st.detect! - st.track!).toFixed(0)} | ${ns(st.track!, st.detect!).toFixed(0)} |`);
  out.push(`| render text | ${st['render text']!.toFixed(0)} | ${ns(0, st['render text']!).toFixed(0)} |`);
  out.push(`| render JSON (every connection kept) | ${st['render json']!.toFixed(0)} | ${ns(0, st['render json']!).toFixed(0)} |`);
  out.push('');
  out.push('| target | measured | |', '|---|---|---|');
  for (const t of s.targets) out.push(`| ${t.name} | ${t.value} | ${t.pass === null ? 'not checked' : t.pass ? 'PASS' : 'FAIL'} |`);
  out.push('');
  return out;
}
