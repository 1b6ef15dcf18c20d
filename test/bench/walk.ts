import { createReadStream } from 'node:fs';

/**
 * The floor: walks a classic pcap file's record headers straight from the bytes, touching
 * nothing else. No analysis of the same file can be faster than this read.
 */
async function main(file: string): Promise<void> {
  let tail: Buffer = Buffer.alloc(0);
  let packets = 0;
  let le = true;
  let header = true;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    let buf: Buffer = tail.length ? Buffer.concat([tail, chunk as Buffer]) : (chunk as Buffer);
    let o = 0;
    if (header) {
      le = buf.readUInt32LE(0) === 0xa1b2c3d4 || buf.readUInt32LE(0) === 0xa1b23c4d;
      o = 24;
      header = false;
    }
    while (o + 16 <= buf.length) {
      const caplen = le ? buf.readUInt32LE(o + 8) : buf.readUInt32BE(o + 8);
      if (o + 16 + caplen > buf.length) break;
      packets++;
      o += 16 + caplen;
    }
    tail = buf.subarray(o);
    buf = tail;
  }
  process.stdout.write(`${packets}\n`);
}

void main(process.argv[2]!);
