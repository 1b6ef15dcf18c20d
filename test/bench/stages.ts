import { readCaptures } from '../../src/capture/index.js';
import { DecodedPacket, decodePacket } from '../../src/decode/index.js';
import { analyze } from '../../src/analyze.js';
import { renderJson, renderText } from '../../src/report/index.js';

/**
 * The pipeline cut after one stage, timed in this process: `node stages.js STAGE FILE [RUNS]` prints
 * the fastest of RUNS runs in ms. Stages: read (records only), decode (+ link/IP/TCP decoding), track
 * (+ connection table, both state machines, Wireshark's analysis, the report model), detect (+ the
 * detectors), text and json (+ rendering that report). Each stage's cost is the difference from the one before.
 */
/** One thread unless TCPSTATE_BENCH_THREADS says otherwise: the per-packet figures are of one thread. */
const THREADS = Number(process.env.TCPSTATE_BENCH_THREADS ?? 1);

async function once(stage: string, file: string): Promise<void> {
  if (stage === 'read') {
    let n = 0;
    await readCaptures([file], { record: () => { n++; } });
    return;
  }
  if (stage === 'decode') {
    const p = new DecodedPacket();
    let tcp = 0;
    await readCaptures([file], {
      record(b, i) {
        if (decodePacket(b.data, b.start[i]!, b.caplen[i]!, b.origLen[i]!, b.linkType[i]!, p)) tcp++;
      },
    });
    return;
  }
  const json = stage === 'json';
  const report = await analyze([file], { keep: json ? 'all' : 'notable', detect: stage === 'track' ? false : undefined, threads: THREADS });
  if (stage === 'text' || json) {
    let bytes = 0;
    for (const chunk of json ? renderJson(report) : renderText(report)) bytes += chunk.length;
    if (bytes === 0) throw new Error('nothing rendered');
  }
}

async function main(): Promise<void> {
  const [stage, file, runs] = process.argv.slice(2);
  let best = Infinity;
  for (let r = 0; r < Number(runs ?? 3); r++) {
    const t = process.hrtime.bigint();
    await once(stage!, file!);
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e6);
  }
  process.stdout.write(`${best.toFixed(1)}\n`);
}

void main();
