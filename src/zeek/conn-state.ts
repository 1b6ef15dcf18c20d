import { type ZEndpoint, ZState } from './endpoint.js';

/** Zeek's conn_state (base/protocols/conn/main.zeek), a function of the two endpoint states. */
export function connState(c: { orig: ZEndpoint; resp: ZEndpoint; history: string }): string {
  const os = c.orig.state;
  const rs = c.resp.state;
  const oInactive = os === ZState.INACTIVE || os === ZState.PARTIAL;
  const rInactive = rs === ZState.INACTIVE || rs === ZState.PARTIAL;
  if (rs === ZState.RESET) {
    if (os === ZState.SYN_SENT || os === ZState.SYN_ACK_SENT ||
        (os === ZState.RESET && c.orig.size(c.resp) === 0 && c.resp.size(c.orig) === 0)) return 'REJ';
    return oInactive ? 'RSTRH' : 'RSTR';
  }
  if (os === ZState.RESET) {
    if (rInactive) return /^\^?S[^HAFGIQ]*R/.test(c.history) ? 'RSTOS0' : 'OTH';
    return 'RSTO';
  }
  if (rs === ZState.CLOSED && os === ZState.CLOSED) return 'SF';
  if (os === ZState.CLOSED) return rInactive ? 'SH' : 'S2';
  if (rs === ZState.CLOSED) return oInactive ? 'SHR' : 'S3';
  if (os === ZState.SYN_SENT && rs === ZState.INACTIVE) return 'S0';
  if (os === ZState.ESTABLISHED && rs === ZState.ESTABLISHED) return 'S1';
  return 'OTH';
}
