export { CaptureError, type CaptureErrorCode } from './errors.js';
export { finerPrecision, PacketBatch, type Precision, precisionDigits } from './batch.js';
export { CaptureSource, type CaptureInput, type InputInfo, type Source } from './source.js';
export { readCaptures, type RecordSink } from './merge.js';
