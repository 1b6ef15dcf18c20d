/** RFC 793 / RFC 9293 connection states. */
export const enum TcpState {
  CLOSED = 0,
  LISTEN,
  SYN_SENT,
  SYN_RCVD,
  ESTABLISHED,
  FIN_WAIT_1,
  FIN_WAIT_2,
  CLOSE_WAIT,
  CLOSING,
  LAST_ACK,
  TIME_WAIT,
}

export const STATE_NAMES = [
  'CLOSED', 'LISTEN', 'SYN_SENT', 'SYN_RCVD', 'ESTABLISHED', 'FIN_WAIT_1',
  'FIN_WAIT_2', 'CLOSE_WAIT', 'CLOSING', 'LAST_ACK', 'TIME_WAIT',
] as const;

export type StateName = (typeof STATE_NAMES)[number];

export const STATE_COUNT = STATE_NAMES.length;

/** What moved a side from one state to the next, worded after RFC 9293's state diagram. */
export const enum TcpEvent {
  SendSyn = 0,
  SendSynAck,
  RcvSyn,
  RcvSynAck,
  RcvAckOfSyn,
  SendFin,
  RcvFin,
  RcvFinAndAckOfFin,
  RcvAckOfFin,
  SendRst,
  RcvRst,
  Timeout2Msl,
  InferredMidStream,
  InferredSynNotCaptured,
  InferredSynAckNotCaptured,
  TupleReused,
  InferredListen,
  InferredNoSocket,
}

export const EVENT_NAMES = [
  'send SYN',
  'send SYN,ACK',
  'rcv SYN',
  'rcv SYN,ACK',
  'rcv ACK of SYN',
  'send FIN',
  'rcv FIN',
  'rcv FIN + ACK of FIN',
  'rcv ACK of FIN',
  'send RST',
  'rcv RST',
  '2MSL timeout',
  'inferred: capture started mid-connection',
  'inferred: SYN not captured',
  'inferred: SYN,ACK not captured (ACK of it sent)',
  'tuple reused by a new SYN',
  'inferred: a listening socket took the SYN',
  'inferred: no socket (it never sent its SYN again, nor answered the SYN,ACK)',
] as const;

/** Events that are inferences about what the capture did not show, not segments or timers it did. */
export function isInference(e: TcpEvent): boolean {
  return e === TcpEvent.InferredMidStream || e === TcpEvent.InferredSynNotCaptured || e === TcpEvent.InferredSynAckNotCaptured ||
    e === TcpEvent.InferredListen || e === TcpEvent.InferredNoSocket;
}

/** Why the capture cannot tell a side's state at the end (JSON `why`; the renderers word it). */
export const enum Why {
  None = 0,
  /** A segment that would change its state was captured, and nothing after it showed whether it arrived. */
  Unconfirmed,
  /** Earlier copies of that segment were lost on their way; nothing showed whether the last one arrived. */
  UnconfirmedAfterLoss,
  /** Blocked by the peer's zero window: it may have closed its socket, its FIN queued behind the data. */
  ZeroWindow,
  /** Silent while its peer retransmitted or probed until the end: it may have lost the connection. */
  PeerSilent,
}

export const WHY_NAMES = ['', 'unconfirmed_arrival', 'unconfirmed_after_loss', 'zero_window', 'peer_silent'] as const;

export const enum Side {
  Client = 0,
  Server = 1,
}
