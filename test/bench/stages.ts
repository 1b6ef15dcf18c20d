import { readCaptures } from '../../src/capture/index.js';
import { DecodedPacket, decodePacket } from '../../src/decode/index.js';
import { analyze } from '../../src/analyze.js';
import { renderJson, renderText } from '../../src/report/index.js';

/**
 * The pipeline cut after one stage, timed in this process: `node stages.js STAGE FILE [RUNS]` prints
 * the fastest of RUNS runs in ms; `node stages.js all FILE [RUNS]` times every stage in turn, RUNS
 * rounds, and prints the fastest of each as JSON, with the rendering of text and JSON alone as
 * `render text` and `render json`. Stages: read (records only), decode (+ link/IP/TCP decoding), track
 * (+ connection table, both state machines, Wireshark's analysis, the report model), detect (+ the
 * detectors), text and json (+ rendering that report). Each stage's cost is the difference from the one before.
 */
/** One thread unless TCPSTATE_BENCH_THREADS says otherwise: the per-packet figures are of one thread. */
const THREADS = Number(process.env.TCPSTATE_BENCH_THREADS ?? 1);

/** Runs the pipeline up to `stage`; returns the ms its rendering took (0 for the stages before rendering). */
async function once(stage: string, file: string): Promise<number> {
  if (stage === 'read') {
    let n = 0;
    await readCaptures([file], { record: () => { n++; } });
    return 0;
  }
  if (stage === 'decode') {
    const p = new DecodedPacket();
    let tcp = 0;
    await readCaptures([file], {
      record(b, i) {
        if (decodePacket(b.data, b.start[i]!, b.caplen[i]!, b.origLen[i]!, b.linkType[i]!, p)) tcp++;
      },
    });
    return 0;
  }
  const json = stage === 'json';
  const report = await analyze([file], { keep: json ? 'all' : 'notable', detect: stage === 'track' ? false : undefined, threads: THREADS });
  if (stage !== 'text' && !json) return 0;
  const t = process.hrtime.bigint();
  let bytes = 0;
  for (const chunk of json ? renderJson(report) : renderText(report)) bytes += chunk.length;
  if (bytes === 0) throw new Error('nothing rendered');
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** The stages in the order they build on each other; `all` times each of them in turn, round after round. */
const STAGES = ['read', 'decode', 'track', 'detect', 'text', 'json'];

async function main(): Promise<void> {
  const [stage, file, runs] = process.argv.slice(2);
  const names = stage === 'all' ? STAGES : [stage!];
  const best: Record<string, number> = {};
  // Round-robin: a stage's figure is a difference from the one before it, so both are timed minutes apart at most, not one after the other's every run.
  for (let r = 0; r < Number(runs ?? 3); r++) {
    for (const s of names) {
      const t = process.hrtime.bigint();
      const render = await once(s, file!);
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      best[s] = Math.min(best[s] ?? Infinity, ms);
      // The rendering alone, timed as it runs: a difference of two whole runs would be lost in their spread.
      if (render > 0) best[`render ${s}`] = Math.min(best[`render ${s}`] ?? Infinity, render);
    }
  }
  process.stdout.write(stage === 'all' ? `${JSON.stringify(best)}\n` : `${best[stage!]!.toFixed(1)}\n`);
}

void main();
