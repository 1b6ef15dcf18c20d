import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.js';

/** Runs the CLI in-process; `tty` says whether standard output and standard error claim to be terminals. */
export async function runCli(args: string[], tty: { out: boolean; err: boolean } = { out: false, err: false }):
  Promise<{ code: number; out: string; err: string }> {
  const stdout = Object.assign(new PassThrough(), { isTTY: tty.out });
  const stderr = Object.assign(new PassThrough(), { isTTY: tty.err });
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await main(args, { stdout, stderr });
  return { code, out, err };
}
