export { renderJson, connectionJson, JSON_SCHEMA } from './json.js';
export { renderText, type TextOptions } from './text.js';
export { renderZeek, zeekMatcher } from './zeek.js';
export { renderMarkdown } from './markdown.js';
export { renderHtml, HTML_MAX_ROWS } from './html.js';
export { addrToString, endpointToString, ipv4ToString, ipv6ToString, isoTimestamp, duration } from './format.js';
export { captureAddresses, Pseudonyms } from './redact.js';
export { redactReport, redactedNote } from './redacted.js';
