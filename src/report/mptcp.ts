/**
 * An MPTCP option (TCP option 30; RFC 8684, and RFC 6824's version 0) as tcpdump 4.99's
 * print-mptcp.c writes it after `mptcp`: its length, the subtype's name, its fields. Subtypes it
 * does not know (MP_TCPRST, 8, among them) are `unknown`, with nothing after.
 */
import { TH_ACK, TH_SYN } from '../decode/index.js';
import { i32, u16, u32 } from '../decode/words.js';
import { ipv4ToString, ipv6ToString, portOut } from './format.js';

const NAMES = ['capable', 'join', 'dss', 'add-addr', 'rem-addr', 'prio', 'fail', 'fast-close', 'unknown'];

const DSS_F = 0x10;
const DSS_m = 0x08;
const DSS_M = 0x04;
const DSS_a = 0x02;
const DSS_A = 0x01;

const ADD_ADDR_ECHO: Record<number, string> = { 0x6: 'v0-ip6', 0x4: 'v0-ip4', 0x1: 'v1-echo', 0x0: 'v1' };

function u64(d: Uint8Array, o: number): bigint {
  return (BigInt(u32(d, o)) << 32n) | BigInt(u32(d, o + 4));
}

const hex64 = (d: Uint8Array, o: number) => u64(d, o).toString(16);

/**
 * The option of `len` bytes at `o` (its kind byte) in a segment with TCP flags `flags`: what follows
 * `mptcp`, or, when tcpdump finds it malformed, that text with `bad` set (the line then ends in `[bad opt]`).
 */
export function mptcpOption(d: Uint8Array, o: number, len: number, flags: number): { text: string; bad: boolean } {
  if (len < 3) return { text: '', bad: true };
  const name = NAMES[Math.min(d[o + 2]! >> 4, 8)]!;
  let text = ` ${len} ${name}`;
  const bad = (): { text: string; bad: boolean } => ({ text, bad: true });
  switch (name) {
    case 'capable': {
      if (!((len === 12 || len === 4) && (flags & TH_SYN)) && !((len === 20 || len === 22) && (flags & (TH_SYN | TH_ACK)) === TH_ACK)) return bad();
      const version = d[o + 2]! & 0xf;
      if (version > 1) return { text: `${text} Unknown Version (${version})`, bad: false };
      text += ` v${version}`;
      if (d[o + 3]! & 0x80) text += ' csum';
      if (len === 12 || len >= 20) text += ` {0x${hex64(d, o + 4)}${len >= 20 ? `,0x${hex64(d, o + 12)}` : ''}}`;
      break;
    }
    case 'join': {
      if (!(len === 12 && (flags & TH_SYN)) && !(len === 16 && (flags & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK)) && !(len === 24 && (flags & TH_ACK))) return bad();
      if (len !== 24) text += `${d[o + 2]! & 0x01 ? ' backup' : ''} id ${d[o + 3]}`;
      if (len === 12) text += ` token 0x${u32(d, o + 4).toString(16)} nonce 0x${u32(d, o + 8).toString(16)}`;
      else if (len === 16) text += ` hmac 0x${hex64(d, o + 4)} nonce 0x${u32(d, o + 12).toString(16)}`;
      else if (len === 24) {
        text += ' hmac 0x';
        for (let k = 0; k < 20; k++) text += d[o + 4 + k]!.toString(16).padStart(2, '0');
      }
      break;
    }
    case 'dss': {
      if (len < 4 || (flags & TH_SYN)) return bad();
      const f = d[o + 3]!;
      if (f & DSS_F) text += ' fin';
      let p = o + 4;
      let left = len - 4;
      // tcpdump names a field before it finds it missing.
      if (f & DSS_A) {
        const n = f & DSS_a ? 8 : 4;
        text += ' ack ';
        if (left < n) return bad();
        text += `${n === 8 ? u64(d, p) : u32(d, p)}`;
        p += n;
        left -= n;
      }
      if (f & DSS_M) {
        const n = f & DSS_m ? 8 : 4;
        text += ' seq ';
        if (left < n) return bad();
        text += `${n === 8 ? u64(d, p) : u32(d, p)}`;
        p += n;
        left -= n;
        if (left < 4) return bad();
        text += ` subseq ${u32(d, p)}`;
        p += 4;
        left -= 4;
        if (left < 2) return bad();
        text += ` len ${u16(d, p)}`;
        p += 2;
        left -= 2;
        // The checksum, present only when negotiated.
        if (left >= 2) {
          text += ` csum 0x${u16(d, p).toString(16)}`;
          left -= 2;
        }
      }
      if (left !== 0) return bad();
      break;
    }
    case 'add-addr': {
      if (![8, 10, 16, 18, 20, 22, 28, 30].includes(len)) return bad();
      text += ` ${ADD_ADDR_ECHO[d[o + 2]! & 0xf] ?? '[bad version/echo]'} id ${d[o + 3]}`;
      if (len <= 18) {
        text += ` ${ipv4ToString(i32(d, o + 4))}`;
        if (len === 10 || len === 18) text += `:${portOut(u16(d, o + 8))}`;
        if (len === 16) text += ` hmac 0x${hex64(d, o + 8)}`;
        if (len === 18) text += ` hmac 0x${hex64(d, o + 10)}`;
      } else {
        text += ` ${ipv6ToString(i32(d, o + 4), i32(d, o + 8), i32(d, o + 12), i32(d, o + 16))}`;
        if (len === 22 || len === 30) text += `:${portOut(u16(d, o + 20))}`;
        if (len === 28) text += ` hmac 0x${hex64(d, o + 20)}`;
        if (len === 30) text += ` hmac 0x${hex64(d, o + 22)}`;
      }
      break;
    }
    case 'rem-addr':
      if (len < 4) return bad();
      text += ' id';
      for (let k = 3; k < len; k++) text += ` ${d[o + k]}`;
      break;
    case 'prio':
      if (len !== 3 && len !== 4) return bad();
      text += d[o + 2]! & 0x01 ? ' backup' : ' non-backup';
      if (len === 4) text += ` id ${d[o + 3]}`;
      break;
    case 'fail':
      if (len !== 12) return bad();
      text += ` seq ${u64(d, o + 4)}`;
      break;
    case 'fast-close':
      if (len !== 12) return bad();
      text += ` key 0x${hex64(d, o + 4)}`;
      break;
    default:
      break;
  }
  return { text, bad: false };
}
