/** Why a capture could not be read further. Codes are stable; messages name the numbers. */
export type CaptureErrorCode =
  | 'open'
  | 'empty'
  | 'bad-magic'
  | 'bad-header'
  | 'truncated'
  | 'record-too-long'
  | 'bad-block'
  | 'gzip';

export class CaptureError extends Error {
  constructor(
    readonly code: CaptureErrorCode,
    readonly file: string,
    /** 1-based number of the record (within this file) being read when it failed; 0 for the file header. */
    readonly packet: number,
    /** Byte offset of the failing structure, in the (decompressed) capture stream. */
    readonly offset: number,
    readonly detail: string,
  ) {
    super(`${file}: packet ${packet}, byte offset ${offset}: ${detail}`);
    this.name = 'CaptureError';
  }
}
