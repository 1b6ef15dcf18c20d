/**
 * Sequence-space arithmetic modulo 2³² (RFC 9293 section 3.4); the only place it is done.
 * Sequence numbers are held as signed 32-bit integers (the decoder reads them so), which V8
 * keeps unboxed; print them with `>>> 0`.
 */
export function seqAdd(a: number, n: number): number {
  return (a + n) | 0;
}

export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

export function seqLe(a: number, b: number): boolean {
  return ((a - b) | 0) <= 0;
}

export function seqGt(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

export function seqGe(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}
