export { Connection, endedNormally, Eviction, EVICTION_NAMES, isOver, TRANSITION_FIELDS, transitionEvent, transitionFrom, transitionSide, transitionTo } from './connection.js';
export { Endpoint } from './endpoint.js';
export { TcpMachine } from './machine.js';
export { ConnectionTable, type ConnectionSink, DEFAULT_LIMITS, type TableLimits, tupleHash, tupleHashOf } from './table.js';
export { ConnectionStore, RECORD_BYTES, toRecord } from './store.js';
export type { ConnectionRecord, EndpointRecord, SegmentAnalysis } from './record.js';
export { ANALYSIS_FIELDS } from './record.js';
export { EVENT_NAMES, STATE_COUNT, STATE_NAMES, type StateName, Side, TcpEvent, TcpState } from './state.js';
export { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt } from './seq.js';
