export const TOOL_NAME = 'tcpstate';
export const VERSION = '0.1.0';
