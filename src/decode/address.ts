/**
 * Addresses as people read them: tcpdump's dotted quad, RFC 5952 text for IPv6. A decoded address is
 * four 32-bit words (DecodedPacket's s0..s3, d0..d3; IPv4 in the first); every stage that names an
 * endpoint (findings, Zeek's conn.log, the renderers) writes it with these.
 */

/** An address as four 32-bit words, IPv4 in a0. */
export interface Address {
  a0: number;
  a1: number;
  a2: number;
  a3: number;
}

/**
 * What replaces every address as it is written (report/redact.ts's pseudonyms for --redact), or
 * null: the one place addresses become text, so nothing written can escape it.
 */
export interface AddressRedactor {
  v4(a: number): number;
  /** The four words of an IPv6 address into `out`. */
  v6(w0: number, w1: number, w2: number, w3: number, out: Int32Array): void;
  /** A TCP or UDP port, when ports are hidden too (else null). */
  port: ((p: number) => number) | null;
}

let redactor: AddressRedactor | null = null;
const REDACTED = new Int32Array(4);

/** Sets (or, with null, clears) what every address written from now on goes through. */
export function setAddressRedactor(r: AddressRedactor | null): void {
  redactor = r;
}

/** A port as it is written: through the redactor when it hides ports (every place a port is written calls this). */
export function portOut(p: number): number {
  return redactor === null || redactor.port === null ? p : redactor.port(p);
}

export function ipv4ToString(a: number): string {
  return dottedQuad(redactor === null ? a : redactor.v4(a));
}

function dottedQuad(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of two or more zero groups as `::`. */
export function ipv6ToString(w0: number, w1: number, w2: number, w3: number): string {
  if (redactor !== null) {
    redactor.v6(w0, w1, w2, w3, REDACTED);
    [w0, w1, w2, w3] = [REDACTED[0]!, REDACTED[1]!, REDACTED[2]!, REDACTED[3]!];
  }
  const g = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  if (w0 === 0 && w1 === 0 && (w2 >>> 0) === 0xffff) return `::ffff:${dottedQuad(w3)}`;
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

export function addrToString(family: 4 | 6, e: Address): string {
  return family === 4 ? ipv4ToString(e.a0) : ipv6ToString(e.a0, e.a1, e.a2, e.a3);
}

/** `addr:port`, with IPv6 in brackets (RFC 5952 section 6). */
export function endpointToString(family: 4 | 6, e: Address & { port: number }): string {
  const a = addrToString(family, e);
  return family === 4 ? `${a}:${portOut(e.port)}` : `[${a}]:${portOut(e.port)}`;
}
