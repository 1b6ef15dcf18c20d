import { readCaptures } from '../../src/capture/index.js';

/** tcpstate's reader alone (pcap-parser, batches) with nothing done per packet: the reading share of a run. */
async function main(file: string): Promise<void> {
  let packets = 0;
  await readCaptures([file], { record: () => { packets++; } });
  process.stdout.write(`${packets}\n`);
}

void main(process.argv[2]!);
