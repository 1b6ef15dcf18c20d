import type { Aggregate } from './finding.js';

/**
 * Server endpoints under a SYN flood and sources found scanning: failed handshakes there are
 * reported inside the syn_flood or port_scan finding rather than once more on their own.
 */
export class Folded {
  constructor(private readonly flooded: ReadonlySet<number | string>, private readonly scanners: ReadonlySet<number | string>) {}

  has(serverKey: number | string, a: Aggregate): boolean {
    return this.flooded.has(serverKey) || fromScanner(a, this.scanners);
  }
}

/** Every connection of `a` came from one source, found scanning. */
export function fromScanner(a: Aggregate, scanners: ReadonlySet<number | string>): boolean {
  return a.source !== undefined && a.source !== null && scanners.has(a.source);
}
