/** MurmurHash3's mixing of four 32-bit words into one well-spread 32-bit hash. */
export function hashWords(a: number, b: number, c: number, d: number): number {
  let h = mixWord(0x9747b28c, a);
  h = mixWord(h, b);
  h = mixWord(h, c);
  h = mixWord(h, d);
  h ^= 16;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mixWord(h: number, w: number): number {
  let k = Math.imul(w, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}
