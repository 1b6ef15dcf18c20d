export { CaptureError, type CaptureErrorCode } from './errors.js';
export { BATCH_RECORDS, type BatchArrays, finerPrecision, PacketBatch, type Precision, precisionDigits } from './batch.js';
export { CaptureSource, type CaptureInput, type InputInfo, PCAP_READERS, type PcapReaderName, type Source } from './source.js';
export { readCaptures, type RecordSink } from './merge.js';
export { followFile, type FollowOptions, untilAborted } from './follow.js';
