/**
 * A radiotap header's fields as tcpdump 4.99 prints them before an 802.11 frame without -e
 * (print-802_11.c): TSFT, flags, rate, channel, FHSS, signal and noise, lock quality, transmit
 * attenuation and power, antenna. Fields after the first it does not print here end the text
 * there (MCS, VHT and later ones, and extended bitmaps, are not printed).
 */
import { le16 } from '../decode/words.js';

/** Size and alignment of the fields in bit order, up to RX flags (bit 14). */
const FIELDS: [number, number][] = [
  [8, 8], [1, 1], [1, 1], [4, 2], [2, 1], [1, 1], [1, 1], [2, 2], [2, 2], [2, 2], [1, 1], [1, 1], [1, 1], [1, 1], [2, 2],
];

/** The text tcpdump prints for the radiotap header at `start`, each field followed by a space. */
export function radiotapText(d: Uint8Array, start: number, end: number): string {
  const len = le16(d, start + 2);
  let present = (d[start + 4]! | (d[start + 5]! << 8) | (d[start + 6]! << 16) | (d[start + 7]! << 24)) >>> 0;
  // Extended bitmaps: their fields are not printed, but they move where the first word's begin.
  let o = start + 8;
  for (let w = present; (w & 0x80000000) !== 0 && o + 4 <= end; o += 4) w = (d[o]! | (d[o + 1]! << 8) | (d[o + 2]! << 16) | (d[o + 3]! << 24)) >>> 0;
  let out = '';
  const limit = Math.min(start + len, end);
  for (let bit = 0; bit < FIELDS.length; bit++) {
    if ((present & (1 << bit)) === 0) continue;
    const [size, align] = FIELDS[bit]!;
    o = start + Math.ceil((o - start) / align) * align;
    if (o + size > limit) return out;
    out += field(d, o, bit, present);
    o += size;
  }
  return out;
}

function field(d: Uint8Array, o: number, bit: number, present: number): string {
  const s8 = (v: number) => (v << 24) >> 24;
  switch (bit) {
    case 0: {
      const lo = (d[o]! | (d[o + 1]! << 8) | (d[o + 2]! << 16) | (d[o + 3]! << 24)) >>> 0;
      const hi = (d[o + 4]! | (d[o + 5]! << 8) | (d[o + 6]! << 16) | (d[o + 7]! << 24)) >>> 0;
      return `${(BigInt(hi) << 32n) | BigInt(lo)}us tsft `;
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
    default: return '';
  }
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

/** print_chaninfo: the frequency and the PHY its flags name. */
function channel(freq: number, f: number, present: number): string {
  let s = `${freq} MHz`;
  const has = (m: number) => (f & m) === m;
  if (present & (1 << 19)) s += ' 11n';
  else if (present & (1 << 21)) s += ' 11ac';
  else {
    if (has(CHAN_2GHZ | CHAN_GFSK)) s += ' FHSS';
    const width = f & CHAN_HALF ? '/10Mhz' : f & CHAN_QUARTER ? '/5Mhz' : '';
    if (has(CHAN_5GHZ | CHAN_OFDM)) s += ` 11a${width}`;
    if (has(CHAN_2GHZ | CHAN_OFDM) || has(CHAN_2GHZ | CHAN_DYN)) s += ` 11g${width}`;
    else if (has(CHAN_2GHZ | CHAN_CCK)) s += ' 11b';
    if (f & CHAN_TURBO) s += ' Turbo';
  }
  return `${s} `;
}
