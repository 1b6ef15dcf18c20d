/**
 * A radiotap header's fields as tcpdump 4.99 prints them before an 802.11 frame without -e
 * (print-802_11.c), checked field by field against tcpdump 4.99.3: TSFT, flags, rate, channel,
 * FHSS, signal and noise, lock quality, transmit attenuation and power, antenna, XChannel, MCS
 * (with the rate of 802.11n's tables), VHT; RX flags and A-MPDU status print nothing. The presence
 * bitmaps are followed as its iterator does: further bitmaps of the radiotap namespace number
 * their fields on from 32, bit 29 starts the namespace again, and a vendor namespace's fields are
 * skipped whole. The first field it cannot size or does not print ends the text with `[bit N]`, and
 * one cut by the header's length with `[|802.11_radio]`.
 */
import { le16, le32 } from '../decode/words.js';

/** Size and alignment of the fields of the radiotap namespace in bit order, through VHT (bit 21); 0 for one tcpdump does not print. */
const FIELDS: [number, number][] = [
  [8, 8], [1, 1], [1, 1], [4, 2], [2, 1], [1, 1], [1, 1], [2, 2], [2, 2], [2, 2], [1, 1], [1, 1], [1, 1], [1, 1], [2, 2],
  [0, 0], [0, 0], [0, 0], [8, 4], [3, 1], [8, 4], [12, 2],
];

const NAMESPACE_RADIOTAP = 29;
const NAMESPACE_VENDOR = 30;
const EXT = 31;

/** The text tcpdump prints for the radiotap header at `start`, each field followed by a space. */
export function radiotapText(d: Uint8Array, start: number, end: number): string {
  const limit = Math.min(start + le16(d, start + 2), end);
  // The bitmaps, then the fields after the last of them.
  let fields = start + 8;
  while (fields <= limit && (le32(d, fields - 4) & (1 << EXT)) !== 0) fields += 4;
  if (fields > limit) return ' [|802.11_radio]';
  let o = fields;
  const align = (a: number) => start + Math.ceil((o - start) / a) * a;
  let out = '';
  let vendor = false;
  let base = 0;
  for (let w = start + 4; w < fields; w += 4) {
    const present = le32(d, w);
    if (!vendor) {
      for (let bit = 0; bit < NAMESPACE_RADIOTAP; bit++) {
        if ((present & (1 << bit)) === 0) continue;
        const n = base + bit;
        const [size, a] = FIELDS[n] ?? [0, 0];
        if (size === 0) return `${out}[bit ${n}] `;
        o = align(a);
        if (o + size > limit) return `${out} [|802.11_radio]`;
        out += field(d, o, n, present);
        o += size;
      }
    }
    if (present & (1 << NAMESPACE_RADIOTAP)) {
      vendor = false;
      base = 0;
    } else if (present & (1 << NAMESPACE_VENDOR)) {
      // A vendor namespace's header (OUI, sub-namespace, skip length), then that many bytes tcpdump does not read.
      vendor = true;
      o = align(2);
      if (o + 6 > limit) return `${out} [|802.11_radio]`;
      o += 6 + le16(d, o + 4);
    } else {
      base += 32;
    }
  }
  return out;
}

function field(d: Uint8Array, o: number, bit: number, present: number): string {
  const s8 = (v: number) => (v << 24) >> 24;
  switch (bit) {
    case 0: {
      return `${(BigInt(le32(d, o + 4)) << 32n) | BigInt(le32(d, o))}us tsft `;
    }
    case 1: {
      const f = d[o]!;
      return (f & 0x01 ? 'cfp ' : '') + (f & 0x02 ? 'short preamble ' : '') + (f & 0x04 ? 'wep ' : '') + (f & 0x08 ? 'fragmented ' : '') + (f & 0x40 ? 'bad-fcs ' : '');
    }
    case 2: {
      const r = d[o]!;
      return r >= 0x80 && r <= 0x8f ? `MCS ${r & 0x7f} ` : `${(r * 0.5).toFixed(1)} Mb/s `;
    }
    case 3:
      return channel(le16(d, o), le16(d, o + 2), present);
    case 4: return `fhset ${d[o]} fhpat ${d[o + 1]} `;
    case 5: return `${s8(d[o]!)}dBm signal `;
    case 6: return `${s8(d[o]!)}dBm noise `;
    case 7: return `${le16(d, o)} sq `;
    case 8: return `${-le16(d, o)} tx power `;
    case 9: return `${-le16(d, o)}dB tx attenuation `;
    case 10: return `${s8(d[o]!)}dBm tx power `;
    case 11: return `antenna ${d[o]} `;
    case 12: return `${d[o]}dB signal `;
    case 13: return `${d[o]}dB noise `;
    case 18: return channel(le16(d, o + 4), le32(d, o), present);
    case 19: return mcs(d[o]!, d[o + 1]!, d[o + 2]!);
    case 21: return vht(d, o);
    default: return '';
  }
}

const HT_BANDWIDTH = ['20 MHz', '40 MHz', '20 MHz (L)', '20 MHz (U)'];

/** An 802.11n MCS field: the rate when the index, width and guard interval are all known, and what else is. */
function mcs(known: number, flags: number, index: number): string {
  let s = '';
  if (known & 0x02) {
    const rate = known & 0x01 && known & 0x04 ? htRate(index, (flags & 3) === 1, (flags & 0x04) !== 0) : 0;
    s += rate > 0 ? `${rate.toFixed(1)} Mb/s MCS ${index} ` : `MCS ${index} `;
  }
  if (known & 0x01) s += `${HT_BANDWIDTH[flags & 3]} `;
  if (known & 0x04) s += flags & 0x04 ? 'short GI ' : 'long GI ';
  if (known & 0x08) s += flags & 0x08 ? 'greenfield ' : 'mixed ';
  if (known & 0x10) s += flags & 0x10 ? 'LDPC FEC ' : 'BCC FEC ';
  if (known & 0x20) s += `RX-STBC${(flags >> 5) & 3} `;
  return s;
}

/** Mb/s of one spatial stream of MCS 0-7 at 20 MHz with the 800 ns guard interval. */
const HT_BASE = [6.5, 13, 19.5, 26, 39, 52, 58.5, 65];
/** MCS 33-76 (unequal modulation of the streams) at 20 MHz, 800 ns: IEEE 802.11-2020 tables 19-39 to 19-41. */
const HT_UNEQUAL = [
  39, 52, 65, 58.5, 78, 97.5, 52, 65, 65, 78, 91, 91, 104, 78, 97.5, 97.5, 117, 136.5, 136.5, 156, 65, 78, 91, 78, 91, 104,
  117, 104, 117, 130, 130, 143, 97.5, 117, 136.5, 117, 136.5, 156, 175.5, 156, 175.5, 195, 195, 214.5,
];

/** An 802.11n rate in Mb/s, 0 where the standard has none: 40 MHz carries 108 data subcarriers for 20 MHz's 52, the 400 ns guard interval 10/9 as many symbols. */
function htRate(index: number, wide: boolean, shortGi: boolean): number {
  let r: number;
  if (index < 32) r = HT_BASE[index % 8]! * (Math.floor(index / 8) + 1);
  else if (index === 32) r = wide ? 6 : 0;
  else if (index <= 76) r = HT_UNEQUAL[index - 33]!;
  else r = 0;
  if (wide && index !== 32) r = (r * 108) / 52;
  return shortGi ? (r * 10) / 9 : r;
}

/** VHT bandwidths as tcpdump 4.99 names them (index 21 is its "(UUU)", not "(LUU)"). */
const VHT_BANDWIDTH = [
  '20 MHz', '40 MHz', '20 MHz (L)', '20 MHz (U)', '80 MHz', '80 MHz (L)', '80 MHz (U)', '80 MHz (LL)', '80 MHz (LU)', '80 MHz (UL)',
  '80 MHz (UU)', '160 MHz', '160 MHz (L)', '160 MHz (U)', '160 MHz (LL)', '160 MHz (LU)', '160 MHz (UL)', '160 MHz (UU)',
  '160 MHz (LLL)', '160 MHz (LLU)', '160 MHz (LUL)', '160 MHz (UUU)', '160 MHz (ULL)', '160 MHz (ULU)', '160 MHz (UUL)', '160 MHz (UUU)',
];

/** An 802.11ac VHT field: each user's MCS and coding, then the width and guard interval where known. */
function vht(d: Uint8Array, o: number): string {
  const known = le16(d, o);
  let s = '';
  for (let u = 0; u < 4; u++) {
    const v = d[o + 4 + u]!;
    if ((v & 0x0f) === 0) continue;
    s += `User ${u} MCS ${v >> 4} ${d[o + 8]! & (1 << u) ? 'LDPC' : 'BCC'} FEC `;
  }
  if (known & 0x40) {
    const bw = d[o + 3]! & 0x1f;
    s += `${VHT_BANDWIDTH[bw] ?? `unknown (${bw})`} `;
  }
  if (known & 0x04) s += d[o + 2]! & 0x04 ? 'short GI ' : 'long GI ';
  return s;
}

const CHAN_TURBO = 0x0010;
const CHAN_CCK = 0x0020;
const CHAN_OFDM = 0x0040;
const CHAN_2GHZ = 0x0080;
const CHAN_5GHZ = 0x0100;
const CHAN_DYN = 0x0400;
const CHAN_GFSK = 0x0800;
const CHAN_HALF = 0x4000;
const CHAN_QUARTER = 0x8000;
/** XChannel's flags only. */
const CHAN_HT20 = 0x10000;
const CHAN_HT40U = 0x20000;
const CHAN_HT40D = 0x40000;

/** print_chaninfo: the frequency and the PHY its flags name (tcpdump 4.99.3 names 11n by the MCS field, and no 11ac). */
function channel(freq: number, f: number, present: number): string {
  let s = `${freq} MHz`;
  const has = (m: number) => (f & m) === m;
  if (present & (1 << 19)) s += ' 11n';
  else {
    if (has(CHAN_2GHZ | CHAN_GFSK)) s += ' FHSS';
    const width = f & CHAN_HALF ? '/10Mhz' : f & CHAN_QUARTER ? '/5Mhz' : '';
    if (has(CHAN_5GHZ | CHAN_OFDM)) s += ` 11a${width}`;
    if (has(CHAN_2GHZ | CHAN_OFDM) || has(CHAN_2GHZ | CHAN_DYN)) s += ` 11g${width}`;
    else if (has(CHAN_2GHZ | CHAN_CCK)) s += ' 11b';
    if (f & CHAN_TURBO) s += ' Turbo';
  }
  if (f & CHAN_HT20) s += ' ht/20';
  else if (f & CHAN_HT40D) s += ' ht/40-';
  else if (f & CHAN_HT40U) s += ' ht/40+';
  return `${s} `;
}
