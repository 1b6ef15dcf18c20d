import { Command, CommanderError, Option } from 'commander';
import { CaptureError } from '../capture/index.js';
import { VERSION } from '../version.js';
import { analyzeCommand, checkCommand, type CliIo, diffCommand, printCommand, say, showCommand } from './commands.js';
import { correlateCommand } from './correlate.js';
import { fraction, maxRowsOption, positiveInt, readOptions, threadCount, thresholdHelp, thresholdOptions } from './options.js';
import { addWatchCommand } from './watch.js';

export type { CliIo } from './commands.js';

const EXAMPLES = `
Examples:
  $ tcpstate analyze capture.pcap                     end states and notable connections
  $ tcpstate analyze --all capture.pcapng.gz          every connection (gzip is detected by content)
  $ tcpstate analyze -f json -o report.json --transitions capture.pcap
  $ tcpstate analyze -f zeek capture.pcap > conn.log         Zeek's conn.log, records cut as Zeek cuts them
  $ tcpstate analyze rotated.pcap0 rotated.pcap1      several files, merged by timestamp
  $ tcpstate analyze --threshold closeWait.seconds=30 --config thresholds.json capture.pcap
  $ tcpdump -i eth0 -w - 'tcp port 443' | tcpstate analyze -
  $ tcpstate print capture.pcap                       each packet as tcpdump -nn prints it, with both sides' states
  $ tcpstate print --conn 3 --no-states capture.pcap
  $ tcpstate show --conn 3 capture.pcap               one connection's life as a ladder diagram
  $ tcpstate analyze -f markdown capture.pcap > report.md   a report to paste into a ticket
  $ tcpstate check --expect expectations.json --junit junit.xml captures/*.pcap
  $ tcpstate check --baseline baselines/ captures/*.pcap    fails when a stored capture's report changes
  $ tcpstate diff before.json after.json
  $ tcpstate correlate near-client.pcap near-server.pcap    two points of one path: losses between them, one-way delays
`;

/** Runs the command line; resolves to the exit code (0 ok, 1 a check that failed or an internal error, 2 usage or input error). */
export async function main(argv: readonly string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let code = 0;
  const program = new Command('tcpstate')
    .description('Reconstruct both endpoints\' TCP state (RFC 793) for every connection in a packet capture.')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => say(io, s) })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXAMPLES);

  const analyzeCmd = program.command('analyze')
    .description('Read captures (pcap, pcapng, gzip, - for stdin) and report each connection\'s end states')
    .argument('<capture...>', 'capture files; several are merged in timestamp order as one capture; - reads stdin')
    .addOption(new Option('-f, --format <format>', 'report format: text, json, markdown, html, or zeek (a conn.log)').choices(['text', 'json', 'markdown', 'html', 'zeek']).default('text'))
    .option('--zeek', 'also follow the capture as Zeek does: each JSON connection gets Zeek\'s uid, conn_state and history', false)
    .option('--zeek-checksums', 'with --zeek or -f zeek, drop packets with bad TCP checksums as plain zeek does (default: like zeek -C)', false)
    .option('-o, --output <file>', 'write the report to FILE instead of standard output')
    .option('--all', 'list every connection, not just the notable ones', false)
    .option('--by-server', 'list every server endpoint in the text report\'s servers section, not just the worst 5', false)
    .option('--transitions', 'include every state transition of every connection in the JSON', false)
    .option('--title <text>', 'a title for the report\'s header (e.g. an incident id), in text, JSON, Markdown and HTML')
    .option('--note <text>', 'a line of context under the title')
    .option('--redact', 'replace every IP address by a stable pseudonym of the same kind, and leave file names out, in every format (for sharing a report)', false)
    .option('--redact-key <text>', 'with --redact: the key of the pseudonyms, so that reports made with the same key name the same address alike (default: a random key)')
    .option('--redact-ports', 'with --redact: ports are pseudonyms too, each in its range (well-known, registered, ephemeral)', false);
  readOptions(analyzeCmd)
    .option('--limit <n>', 'how many notable connections the text report lists', positiveInt, 20)
    .addOption(maxRowsOption())
    .addOption(new Option('--threads <n>', 'threads that follow the connections (auto: one per core with 4 cores or more, for a capture of 64 MB or more or stdin; else 1); the report is the same whatever the number')
      .argParser(threadCount).default('auto'));
  thresholdOptions(analyzeCmd, true)
    .option('--no-findings', 'skip the detectors: states and connections only')
    .option('-q, --quiet', 'no progress line on standard error (there is none anyway when it is not a terminal, or under CI)', false)
    .option('--strict', 'exit 2 on any damage: a capture that breaks off, and packets with truncated or bad link, IP or TCP headers (counted, and reported, either way)', false)
    .addHelpText('after', EXAMPLES + thresholdHelp())
    .exitOverride()
    .action(async (captures, opts) => { code = await analyzeCommand(io, captures, opts); });

  const checkCmd = program.command('check')
    .description('CI mode: check stored captures against expectations and/or stored baselines; exit 0 when all hold, 1 when one fails, 2 on bad usage or input')
    .argument('<capture...>', 'capture files, each checked on its own')
    .option('--expect <file>', 'the expectations (JSON; see the README)')
    .option('--baseline <dir>', 'compare each capture\'s report with DIR/<capture file name>.json')
    .option('--update-baseline', 'write (or rewrite) the baselines instead of failing on a missing or changed one', false)
    .option('--junit <file>', 'also write JUnit XML: one test case per capture and rule')
    .addOption(new Option('-f, --format <format>', 'outcome format: text or json').choices(['text', 'json']).default('text'));
  readOptions(thresholdOptions(checkCmd, false)).addOption(maxRowsOption())
    .exitOverride()
    .action(async (captures, opts) => { code = await checkCommand(io, captures, opts); });

  program.command('diff')
    .description('What changed between two JSON reports (findings, end-state matrix, each connection\'s end states); exit 0 when nothing, 1 when something did')
    .argument('<before>', 'a report written by analyze -f json (or a baseline)')
    .argument('<after>', 'the report to compare with it')
    .exitOverride()
    .action((a: string, b: string) => { code = diffCommand(io, a, b); });

  const printCmd = program.command('print')
    .description('Print each TCP packet as `TZ=UTC tcpdump -nn -r` does (through `length N`), then both sides\' states after it')
    .argument('<capture...>', 'capture files, merged in timestamp order; - reads stdin')
    .option('--no-states', 'print the tcpdump part alone')
    .option('--conn <id>', 'only the packets of this connection (the ids of `analyze`)', positiveInt)
    .option('-S, --absolute-tcp-sequence-numbers', 'absolute sequence numbers, like tcpdump -S', false)
    .option('-o, --output <file>', 'write to FILE instead of standard output');
  readOptions(printCmd)
    .addHelpText('after', `
Example line:
  18:53:36.404541 IP 10.77.0.1.44312 > 10.77.0.2.8080: Flags [F.], seq 1, ack 8, win 63, options [nop,nop,TS val 3954182037 ecr 3623729294], length 0  client ESTABLISHED→FIN_WAIT_1  server ESTABLISHED→CLOSE_WAIT
`)
    .exitOverride()
    .action(async (captures, opts) => { code = await printCommand(io, captures, opts); });

  const correlateCmd = program.command('correlate')
    .description('Match two captures of the same traffic taken at two points of its path: the segments lost between them, one-way delays, and each endpoint\'s state from the capture nearer it')
    .argument('<a>', 'one capture (A)')
    .argument('<b>', 'the other (B), taken at the same time elsewhere on the path')
    .addOption(new Option('-f, --format <format>', 'report format: text, json, markdown or html').choices(['text', 'json', 'markdown', 'html']).default('text'))
    .option('-o, --output <file>', 'write the report to FILE instead of standard output')
    .option('--loss-share <fraction>', 'path_loss: the share of an endpoint pair\'s segments lost between the points, either way, from which it is reported', fraction, 0.005)
    .option('--loss-min <n>', 'path_loss: and at least this many segments', positiveInt, 1)
    .option('--loss-critical <fraction>', 'path_loss: the share from which it is critical', fraction, 0.05);
  readOptions(correlateCmd)
    .exitOverride()
    .action(async (a: string, b: string, opts) => { code = await correlateCommand(io, a, b, opts); });

  const showCmd = program.command('show')
    .description('Show the life of one connection as a ladder: packets between client and server, both states, every transition')
    .argument('<capture...>', 'capture files, merged in timestamp order; - reads stdin')
    .requiredOption('--conn <id>', 'the connection (the ids of `analyze`)', positiveInt);
  readOptions(showCmd)
    .exitOverride()
    .action(async (captures, opts) => { code = await showCommand(io, captures, opts); });

  addWatchCommand(program, io, (c) => { code = c; });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    if (e instanceof CaptureError) {
      say(io, `tcpstate: error: ${e.message}\n`);
      return 2;
    }
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err.code === 'string' && typeof err.path === 'string') {
      say(io, `tcpstate: error: ${err.path}: ${err.message}\n`);
      return 2;
    }
    say(io, `tcpstate: internal error: ${err?.message ?? String(e)}\n`);
    return 1;
  }
  return code;
}
