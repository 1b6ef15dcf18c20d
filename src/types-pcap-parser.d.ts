declare module 'pcap-parser' {
  import type { EventEmitter } from 'node:events';
  export interface GlobalHeader {
    magicNumber: number;
    majorVersion: number;
    minorVersion: number;
    gmtOffset: number;
    timestampAccuracy: number;
    snapshotLength: number;
    linkLayerType: number;
  }
  export interface PacketHeader {
    timestampSeconds: number;
    timestampMicroseconds: number;
    capturedLength: number;
    originalLength: number;
  }
  export interface Packet {
    header: PacketHeader;
    data: Buffer;
  }
  export function parse(input: string | NodeJS.ReadableStream | EventEmitter): EventEmitter;
  const _default: { parse: typeof parse };
  export default _default;
}
