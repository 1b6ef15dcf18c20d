export { ANALYZER_PORTS, DEFAULT_SERVER_PORTS, mergeZeekRecords, type ZeekOptions, type ZeekRecord, ZeekTracker, ZeekTrackers } from './tracker.js';
export { connState } from './conn-state.js';
export { ZEndpoint, ZState } from './endpoint.js';
export { ZConn } from './history.js';
