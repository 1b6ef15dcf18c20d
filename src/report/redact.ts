import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { CaptureInput, PcapReaderName } from '../capture/index.js';
import { type AddressRedactor, DecodedPacket, decodePacket } from '../decode/index.js';
import { i32 } from '../decode/words.js';
import { drive } from '../pipeline/drive.js';

/**
 * IPv4 blocks whose kind a pseudonym keeps (RFC 6890): the block's prefix stays, the host part is
 * permuted within it. Every other address is public and becomes another public address.
 */
const V4_BLOCKS: [base: number, bits: number][] = [
  [0x00000000, 8], // "this network"
  [0x0a000000, 8], // private, RFC 1918
  [0x64400000, 10], // shared address space (carrier-grade NAT), RFC 6598
  [0x7f000000, 8], // loopback
  [0xa9fe0000, 16], // link local
  [0xac100000, 12], // private, RFC 1918
  [0xc0a80000, 16], // private, RFC 1918
  [0xe0000000, 4], // multicast
  [0xf0000000, 4], // reserved, and the limited broadcast
];

/** IPv6 prefixes a pseudonym keeps (RFC 4291, RFC 4193); the rest of the address is keyed noise. */
const V6_PREFIXES: [w0: number, bits: number][] = [
  [0xfe800000 | 0, 10], // link local
  [0xfc000000 | 0, 7], // unique local
  [0xff000000 | 0, 8], // multicast
  [0x20000000, 3], // global unicast
];

const ROUNDS = 4;

/** Port ranges a port's pseudonym stays in (RFC 6335): well-known, registered, dynamic. Port 0 stays 0. */
const PORT_RANGES: [lo: number, hi: number][] = [[1, 1023], [1024, 49151], [49152, 65535]];

/**
 * Stable pseudonyms for --redact: an HMAC-SHA-256 keyed permutation, so that one address is always
 * the same pseudonym under one key (in one report and across reports) and two addresses never share
 * one. IPv4 stays IPv4 in its block (a Feistel network on the host bits, cycle-walked into range;
 * public addresses walk until they land on a public one); IPv6 keeps its kind's prefix and takes
 * 128 keyed bits for the rest, where a clash is out of reach. The unspecified and loopback IPv6
 * addresses, and IPv4-mapped ones' embedding, keep their form.
 */
export class Pseudonyms implements AddressRedactor {
  private readonly key: Buffer;
  private readonly v4s = new Map<number, number>();
  private readonly v6s = new Map<string, Int32Array>();

  /** Pseudonyms of ports too (--redact-ports), else null: ports as they are. */
  readonly port: ((p: number) => number) | null;
  private readonly ports = new Map<number, number>();

  /**
   * `key`: any text (hashed into the HMAC key); none draws a random one, so that nobody can undo the
   * pseudonyms. `ports`: hide ports too, each within its range (well-known, registered, ephemeral).
   */
  constructor(key?: string, ports = false) {
    this.key = key === undefined ? randomBytes(32) : createHash('sha256').update(key).digest();
    this.port = ports ? (p) => this.pseudonymPort(p) : null;
  }

  private pseudonymPort(p: number): number {
    let out = this.ports.get(p);
    if (out !== undefined) return out;
    const k = PORT_RANGES.findIndex(([lo, hi]) => p >= lo && p <= hi);
    if (k < 0) return p;
    const [lo, hi] = PORT_RANGES[k]!;
    const size = hi - lo + 1;
    const bits = Math.ceil(Math.log2(size));
    let x = p - lo;
    // Cycle walking within the range: a permutation of its ports.
    do x = this.permute(x, bits, 200 + k); while (x >= size);
    out = lo + x;
    this.ports.set(p, out);
    return out;
  }

  /** The capture's own IPv4 addresses (avoid()), and the pseudonyms given out: no pseudonym is either. */
  private real = new Set<number>();
  private readonly given = new Set<number>();

  /**
   * Makes the pseudonyms of a capture's IPv4 addresses before any is written, so that none is
   * another address of the same capture (a permutation of a block reuses its addresses): an address
   * whose pseudonym would be one takes the next one its key gives (in address order, so that every
   * format of a report agrees). Without this (standard input, which cannot be read twice), a
   * pseudonym may by chance be another address of the capture.
   */
  avoid(addresses: Iterable<number>): void {
    const sorted = [...new Set([...addresses].map((a) => a >>> 0))].sort((x, y) => x - y);
    this.real = new Set(sorted);
    for (const a of sorted) this.v4(a);
  }

  v4(a: number): number {
    const u = a >>> 0;
    let out = this.v4s.get(u);
    if (out === undefined) {
      out = this.pseudonymV4(u, 0);
      // 0.0.0.0 and 255.255.255.255 stay as they are; any other address is never its own pseudonym.
      const kept = u === 0 || u === 0xffffffff;
      for (let t = 1; !kept && (out === u || this.real.has(out) || this.given.has(out)) && t < 64; t++) out = this.pseudonymV4(u, t);
      this.v4s.set(u, out);
      this.given.add(out);
    }
    return out;
  }

  /** `round`: 0 for an address's pseudonym, more for the next ones, when it has to avoid one (avoid()). */
  private pseudonymV4(a: number, round: number): number {
    if (a === 0 || a === 0xffffffff) return a;
    const block = V4_BLOCKS.find(([base, bits]) => (a >>> (32 - bits)) === (base >>> (32 - bits)));
    if (block === undefined) {
      // Cycle walking over the whole space until the value is public again: a permutation of the public addresses.
      let x = a;
      do x = this.permute(x, 32, round * 16); while (!isPublicV4(x));
      return x;
    }
    const [base, bits] = block;
    const hostBits = 32 - bits;
    const mask = hostBits === 32 ? 0xffffffff : (2 ** hostBits) - 1;
    // The block's one address kept as it is (0.0.0.0, 255.255.255.255) is walked past, as are values past the block.
    const fixed = base === 0 ? 0 : base === 0xf0000000 ? 0x0fffffff : -1;
    let host = a & mask;
    do host = this.permute(host, hostBits, bits + round * 16); while (host > mask || host === fixed);
    return (base | host) >>> 0;
  }

  /**
   * A keyed permutation of the integers below 2^(bits rounded up to even), as a balanced Feistel
   * network; `tweak` (the block) makes each block's permutation its own.
   */
  private permute(x: number, bits: number, tweak: number): number {
    const even = bits + (bits & 1);
    const half = even / 2;
    const mask = half === 32 ? 0xffffffff : (2 ** half) - 1;
    let left = Math.floor(x / 2 ** half) & mask;
    let right = x % 2 ** half;
    for (let r = 0; r < ROUNDS; r++) {
      const f = this.round(r, tweak, even, right) & mask;
      [left, right] = [right, (left ^ f) >>> 0];
    }
    return left * 2 ** half + right;
  }

  private round(r: number, tweak: number, bits: number, x: number): number {
    const h = createHmac('sha256', this.key);
    const b = Buffer.alloc(10);
    b.writeUInt8(4, 0);
    b.writeUInt8(r, 1);
    b.writeUInt8(tweak & 255, 2);
    b.writeUInt8(bits, 3);
    b.writeUInt32BE(x >>> 0, 4);
    return h.update(b).digest().readUInt32BE(0);
  }

  v6(w0: number, w1: number, w2: number, w3: number, out: Int32Array): void {
    const key = `${w0},${w1},${w2},${w3}`;
    let p = this.v6s.get(key);
    if (p === undefined) {
      p = this.pseudonymV6(w0 | 0, w1 | 0, w2 | 0, w3 | 0);
      this.v6s.set(key, p);
    }
    out.set(p);
  }

  private pseudonymV6(w0: number, w1: number, w2: number, w3: number): Int32Array {
    if (w0 === 0 && w1 === 0 && (w2 === 0 || w2 === 0xffff) && (w2 !== 0 || w3 === 0 || w3 === 1)) {
      // ::, ::1 as they are; ::ffff:a.b.c.d with the IPv4 pseudonym of a.b.c.d.
      return Int32Array.of(0, 0, w2, w2 === 0xffff ? this.v4(w3) | 0 : w3);
    }
    const digest = createHmac('sha256', this.key).update(Buffer.from(Int32Array.of(6, w0, w1, w2, w3).buffer)).digest();
    const out = Int32Array.of(digest.readInt32BE(0), digest.readInt32BE(4), digest.readInt32BE(8), digest.readInt32BE(12));
    const prefix = V6_PREFIXES.find(([p, bits]) => (w0 >>> (32 - bits)) === (p >>> (32 - bits)));
    const bits = prefix?.[1] ?? 0;
    if (bits) {
      const keep = ~((2 ** (32 - bits)) - 1);
      out[0] = (prefix![0] & keep) | (out[0]! & ~keep);
    } else if ((out[0]! >>> 29) === 1 || (out[0]! >>> 24) === 0xff || (out[0]! >>> 25) === 0x7e || (out[0]! >>> 22) === 0x3fa) {
      // Another kind of address stays out of the kinds that are kept.
      out[0] = out[0]! & 0x1fffffff;
    }
    return out;
  }
}

function isPublicV4(a: number): boolean {
  return !V4_BLOCKS.some(([base, bits]) => (a >>> (32 - bits)) === (base >>> (32 - bits)));
}

/**
 * Every IPv4 address of the captures' packets, tunnels' outer headers included: what a report could
 * write, for Pseudonyms.avoid. One quick pass (decoding only), before the analysis.
 */
export async function captureAddresses(inputs: readonly CaptureInput[], reader: PcapReaderName): Promise<Set<number>> {
  const out = new Set<number>();
  const p = new DecodedPacket();
  try {
    await drive(inputs, {
      packet(batch, i) {
        decodePacket(batch.data, batch.start[i]!, batch.caplen[i]!, batch.origLen[i]!, batch.linkType[i]!, p);
        if (p.ipVersion === 4) {
          out.add(p.s0 >>> 0);
          out.add(p.d0 >>> 0);
        }
        // Outer IPv4 headers of tunnels, and the embedded IPv4 of mapped IPv6, are written too.
        const o = p.outerIpOffset;
        if (p.encap !== 0 && o > 0 && o + 20 <= p.end && (p.data[o]! >> 4) === 4) {
          out.add(i32(p.data, o + 12) >>> 0);
          out.add(i32(p.data, o + 16) >>> 0);
        }
        if (p.ipVersion === 6 && p.s0 === 0 && p.s1 === 0 && p.s2 === 0xffff) out.add(p.s3 >>> 0);
        if (p.ipVersion === 6 && p.d0 === 0 && p.d1 === 0 && p.d2 === 0xffff) out.add(p.d3 >>> 0);
      },
    }, { reader });
  } catch {
    // Damage or a read error is the analysis's to report; what was read before it is collected.
  }
  return out;
}
