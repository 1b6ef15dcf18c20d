import { ZEndpoint } from './endpoint.js';

// Connection::CheckHistory masks (orig in the low half, resp in the high half).
export const HIST_SYN = 0x1;
export const HIST_FIN = 0x2;
export const HIST_RST = 0x4;
export const HIST_FIN_RST = 0x8;
export const HIST_DATA = 0x10;
export const HIST_ACK = 0x20;
export const HIST_MULTI = 0x40;


/**
 * A connection as Zeek's Connection keeps it for conn.log: its two endpoints, its history letters
 * (Connection::CheckHistory, ScaledHistoryEntry, AddHistory and FlipRoles' '^') and the deadlines
 * of the timers the tracker runs on it.
 */
export class ZConn {
  orig: ZEndpoint;
  resp: ZEndpoint;
  family: 4 | 6 = 4;
  hash = 0;
  next: ZConn | null = null;
  history = '';
  histSeen = 0;
  start = 0;
  last = 0;
  firstPacket = 0;
  lastPacket = 0;
  attemptAt = Infinity;
  closeAt = Infinity;
  resetAt = Infinity;
  partialCloseAt = Infinity;
  expireCheck = false;

  /** As new, with fresh endpoints for `sport` → `dport`. */
  reset(sport: number, dport: number): void {
    this.orig.reset(true, sport);
    this.resp.reset(false, dport);
    this.family = 4;
    this.hash = 0;
    this.next = null;
    this.history = '';
    this.histSeen = 0;
    this.start = 0;
    this.last = 0;
    this.firstPacket = 0;
    this.lastPacket = 0;
    this.attemptAt = Infinity;
    this.closeAt = Infinity;
    this.resetAt = Infinity;
    this.partialCloseAt = Infinity;
    this.expireCheck = false;
  }

  /** `slot`: its place in the tracker's objects, for good (reset() keeps it). */
  constructor(orig: ZEndpoint, resp: ZEndpoint, readonly slot = 0) {
    this.orig = orig;
    this.resp = resp;
  }

  addHistory(code: string): void {
    this.history += code;
  }

  /** Connection::CheckHistory: records `code` the first time, and says whether it was seen before. */
  checkHistory(ep: ZEndpoint, mask: number, code: string): boolean {
    const m = ep.isOrig ? mask : mask << 16;
    const c = ep.isOrig ? code : code.toLowerCase();
    if ((this.histSeen & m) === 0) {
      this.histSeen |= m;
      this.addHistory(c);
      return false;
    }
    return true;
  }

  addEndpointHistory(ep: ZEndpoint, code: string): void {
    this.addHistory(ep.isOrig ? code : code.toLowerCase());
  }

  /** Connection::ScaledHistoryEntry: the letter at the 1st, 10th, 100th ... occurrence. */
  scaled(ep: ZEndpoint, code: string, which: 'rxmt' | 'win0' | 'chk'): void {
    const cnt = `${which}Cnt` as 'rxmtCnt' | 'win0Cnt' | 'chkCnt';
    const thr = `${which}Thresh` as 'rxmtThresh' | 'win0Thresh' | 'chkThresh';
    if (++ep[cnt] === ep[thr]) {
      this.addEndpointHistory(ep, code);
      ep[thr] *= 10;
    }
  }

  flip(): void {
    const o = this.orig;
    this.orig = this.resp;
    this.resp = o;
    this.orig.isOrig = true;
    this.resp.isOrig = false;
    this.histSeen = ((this.histSeen >>> 16) | (this.histSeen << 16)) >>> 0;
    this.addHistory('^');
  }

  isClosed(): boolean {
    return this.orig.didClose || this.resp.didClose;
  }
}
