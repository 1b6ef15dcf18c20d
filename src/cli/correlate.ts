import { type CorrelateReport, correlate, renderCorrelateHtml, renderCorrelateJson, renderCorrelateMarkdown, renderCorrelateText } from '../correlate/index.js';
import { type CliIo, say } from './commands.js';
import { limitsOf, type ReadOptions } from './options.js';
import { Output } from './output.js';

export interface CorrelateCliOptions extends ReadOptions {
  format: 'text' | 'json' | 'markdown' | 'html';
  output?: string;
  lossShare: number;
  lossMin: number;
  lossCritical: number;
}

/** `tcpstate correlate A B`: 0, or 2 when a capture breaks off (the report of what came before it is written first). */
export async function correlateCommand(io: CliIo, a: string, b: string, opts: CorrelateCliOptions): Promise<number> {
  if (a === '-' || b === '-') {
    say(io, 'tcpstate: error: correlate reads two files (standard input cannot be one of them)\n');
    return 2;
  }
  const report: CorrelateReport = await correlate(a, b, {
    msl: opts.msl, limits: limitsOf(opts), reader: opts.reader, rungs: opts.format === 'html',
    thresholds: { share: opts.lossShare, segments: opts.lossMin, criticalShare: opts.lossCritical },
  });
  const chunks = opts.format === 'json' ? renderCorrelateJson(report) : opts.format === 'markdown' ? renderCorrelateMarkdown(report)
    : opts.format === 'html' ? renderCorrelateHtml(report) : renderCorrelateText(report);
  const out = new Output(opts.output, io.stdout);
  try {
    await out.pour(chunks);
  } finally {
    out.close();
  }
  if (!report.damage) return 0;
  say(io, `tcpstate: error: ${report.damage.message}\n`);
  return 2;
}
