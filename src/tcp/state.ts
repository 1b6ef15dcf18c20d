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

/** What moved a side from one state to the next, worded after RFC 793's state diagram. */
export const enum TcpEvent {
  SendSyn = 0,
  SendSynAck,
  SendSynAckAgain,
  RcvSyn,
  RcvSynAck,
  RcvAckOfSyn,
  SendFin,
  SendFinAgain,
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
}

export const EVENT_NAMES = [
  'send SYN',
  'send SYN,ACK',
  'send SYN,ACK again (ACK of SYN not received)',
  'rcv SYN',
  'rcv SYN,ACK',
  'rcv ACK of SYN',
  'send FIN',
  'send FIN again (ACK of FIN not received)',
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
] as const;

export const enum Side {
  Client = 0,
  Server = 1,
}
