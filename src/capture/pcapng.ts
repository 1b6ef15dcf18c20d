import { finerPrecision, type PacketBatch, type Precision, type RecordParser } from './batch.js';
import { CaptureError } from './errors.js';

export const PCAPNG_SHB = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const BLOCK_IDB = 1;
const BLOCK_OPB = 2;
const BLOCK_SPB = 3;
const BLOCK_EPB = 6;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;
/** Larger blocks than this are treated as corrupt rather than buffered (libpcap uses the same ceiling). */
const MAX_BLOCK = 16 * 1024 * 1024;
const TWO_32 = 4294967296;

interface Interface {
  linkType: number;
  snaplen: number;
  unitsPerSec: number;
  tsOffset: number;
}

/** pcapng (draft-ietf-opsawg-pcapng): sections in either byte order, many interfaces, EPB/SPB/OPB. */
export class PcapngReader implements RecordParser {
  readonly format = 'pcapng' as const;
  precision: Precision = 's';
  readonly linkTypes = new Set<number>();
  records = 0;
  need = 12;

  private buf: Uint8Array = new Uint8Array(0);
  /** Stream offset of buf[0]. */
  private base = 0;
  private le = true;
  private interfaces: Interface[] = [];
  private lastSec = 0;
  private lastNsec = 0;
  private blocks = 0;

  constructor(private readonly file: string) {}

  finish(left: number, at: number): void {
    if (this.blocks === 0 && left === 0) {
      throw new CaptureError('empty', this.file, 0, 0, 'pcapng: no section header block');
    }
    if (left > 0) {
      throw new CaptureError('truncated', this.file, this.records + 1, at,
        `pcapng: file is truncated: block needs ${this.need} bytes, only ${left} remain`);
    }
  }

  private u32(o: number): number {
    const b = this.buf;
    return this.le ? (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0
      : ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  }

  private u16(o: number): number {
    const b = this.buf;
    return this.le ? b[o]! | (b[o + 1]! << 8) : (b[o]! << 8) | b[o + 1]!;
  }

  private fail(code: 'bad-block' | 'bad-magic', at: number, detail: string): never {
    throw new CaptureError(code, this.file, this.records + 1, this.base + at, `pcapng: ${detail}`);
  }

  parse(buf: Uint8Array, pos: number, end: number, base: number, out: PacketBatch): number {
    this.buf = buf;
    this.base = base;
    for (;;) {
      const avail = end - pos;
      if (avail < 12) {
        this.need = 12;
        return pos;
      }
      if (out.full) {
        this.need = 1;
        return pos;
      }
      const type = (buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 24)) >>> 0;
      if (type === PCAPNG_SHB) {
        const bom = (buf[pos + 8]! | (buf[pos + 9]! << 8) | (buf[pos + 10]! << 16) | (buf[pos + 11]! << 24)) >>> 0;
        if (bom === BYTE_ORDER_MAGIC) this.le = true;
        else if (bom === 0x4d3c2b1a) this.le = false;
        else this.fail('bad-magic', pos + 8, `bad byte-order magic 0x${bom.toString(16)} in section header`);
      } else if (this.blocks === 0) {
        this.fail('bad-magic', pos, `first block is 0x${type.toString(16)}, not a section header`);
      }
      const len = this.u32(pos + 4);
      if (len < 12 || len % 4 !== 0 || len > MAX_BLOCK) {
        this.fail('bad-block', pos, `block length ${len} is invalid (must be a multiple of 4 from 12 to ${MAX_BLOCK})`);
      }
      if (avail < len) {
        this.need = len;
        return pos;
      }
      if (this.u32(pos + len - 4) !== len) {
        this.fail('bad-block', pos, `block length ${len} does not match its trailer ${this.u32(pos + len - 4)}`);
      }
      this.block(this.u32(pos), pos, len, out);
      this.blocks++;
      pos += len;
    }
  }

  private block(type: number, pos: number, len: number, out: PacketBatch): void {
    switch (type) {
      case PCAPNG_SHB:
        // A new section starts a new interface numbering.
        this.interfaces = [];
        return;
      case BLOCK_IDB:
        this.interfaceBlock(pos, len);
        return;
      case BLOCK_EPB:
      case BLOCK_OPB: {
        if (len < 32) this.fail('bad-block', pos, `packet block of ${len} bytes is too short`);
        const ifId = type === BLOCK_EPB ? this.u32(pos + 8) : this.u16(pos + 8);
        const ifc = this.interfaces[ifId];
        if (!ifc) this.fail('bad-block', pos, `packet block names interface ${ifId}, but ${this.interfaces.length} are defined`);
        const caplen = this.u32(pos + 20);
        if (caplen > len - 32) this.fail('bad-block', pos, `captured length ${caplen} overruns its ${len}-byte block`);
        this.timestamp(ifc, this.u32(pos + 12), this.u32(pos + 16));
        const orig = this.u32(pos + 24);
        out.push(pos + 28, caplen, this.lastSec, this.lastNsec,
          orig < caplen ? caplen : orig, ifc.linkType, this.base + pos, this.base + pos + 28);
        this.records++;
        return;
      }
      case BLOCK_SPB: {
        const ifc = this.interfaces[0];
        if (!ifc) this.fail('bad-block', pos, 'simple packet block before any interface description');
        const orig = this.u32(pos + 8);
        let caplen = len - 16;
        if (orig < caplen) caplen = orig;
        if (ifc.snaplen > 0 && ifc.snaplen < caplen) caplen = ifc.snaplen;
        // A simple packet block has no timestamp: it keeps the previous packet's time.
        out.push(pos + 12, caplen, this.lastSec, this.lastNsec, orig, ifc.linkType, this.base + pos, this.base + pos + 12);
        this.records++;
        return;
      }
      default:
        // Name resolution, statistics, journal, custom and unknown blocks carry no packets.
        return;
    }
  }

  private interfaceBlock(pos: number, len: number): void {
    if (len < 20) this.fail('bad-block', pos, `interface description block of ${len} bytes is too short`);
    const ifc: Interface = { linkType: this.u16(pos + 8), snaplen: this.u32(pos + 12), unitsPerSec: 1e6, tsOffset: 0 };
    let o = pos + 16;
    const end = pos + len - 4;
    while (o + 4 <= end) {
      const code = this.u16(o);
      const olen = this.u16(o + 2);
      if (code === 0 || o + 4 + olen > end) break;
      if (code === OPT_IF_TSRESOL && olen >= 1) {
        const v = this.buf[o + 4]!;
        const exp = v & 0x7f;
        ifc.unitsPerSec = v & 0x80 ? 2 ** exp : 10 ** exp;
      } else if (code === OPT_IF_TSOFFSET && olen >= 8) {
        const lo = this.u32(o + 4 + (this.le ? 0 : 4));
        const hi = this.u32(o + 4 + (this.le ? 4 : 0));
        ifc.tsOffset = hi * TWO_32 + lo;
      }
      o += 4 + ((olen + 3) & ~3);
    }
    this.interfaces.push(ifc);
    this.linkTypes.add(ifc.linkType);
    const p: Precision = ifc.unitsPerSec <= 1 ? 's' : ifc.unitsPerSec <= 1e3 ? 'ms' : ifc.unitsPerSec <= 1e6 ? 'us' : 'ns';
    this.precision = finerPrecision(this.precision, p);
  }

  private timestamp(ifc: Interface, hi: number, lo: number): void {
    const ups = ifc.unitsPerSec;
    let sec: number;
    let nsec: number;
    if (hi < 0x200000) {
      // Exact in a double: hi·2³² + lo < 2⁵³.
      const units = hi * TWO_32 + lo;
      sec = Math.floor(units / ups);
      nsec = Math.round(((units - sec * ups) * 1e9) / ups);
    } else {
      const units = (BigInt(hi) << 32n) | BigInt(lo);
      const bups = BigInt(ups);
      const s = units / bups;
      sec = Number(s);
      nsec = Number(((units - s * bups) * 1000000000n) / bups);
    }
    if (nsec >= 1e9) {
      sec += 1;
      nsec -= 1e9;
    }
    this.lastSec = sec + ifc.tsOffset;
    this.lastNsec = nsec;
  }
}
