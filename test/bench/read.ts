import { type PcapReaderName, readCaptures } from '../../src/capture/index.js';

/**
 * A reader alone, with nothing done per record but counting: `node read.js FILE [tcpstate|pcap-parser]`.
 * The reading share of a run, and pcap-parser's cost beside tcpstate's own reader.
 */
async function main(file: string, reader: PcapReaderName): Promise<void> {
  let packets = 0;
  await readCaptures([file], { record: () => { packets++; } }, [], reader);
  process.stdout.write(`${packets}\n`);
}

void main(process.argv[2]!, (process.argv[3] ?? 'tcpstate') as PcapReaderName);
