export { showConnection, type ShowResult } from './show.js';
export { printCapture, type PrintOptions, type PrintResult } from './print.js';
export { analyze, DEFAULT_MAX_ROWS, type AnalyzeOptions } from './analyze.js';
export { watch, type WatchEvent, type WatchOptions, type WatchResult, type WatchSink } from './watch.js';
export type { CapturePoint, EvidenceLine, InputReport, LimitsSummary, Report, ReportFinding, Summary, Timestamp } from './report/model.js';
export { CaptureError, type CaptureInput } from './capture/index.js';
export { renderHtml, renderJson, renderMarkdown, renderText, renderZeek, JSON_SCHEMA } from './report/index.js';
export { ZeekTracker, type ZeekOptions, type ZeekRecord } from './zeek/index.js';
export { STATE_NAMES, EVENT_NAMES, type StateName, type ConnectionRecord, DEFAULT_LIMITS, type TableLimits } from './tcp/index.js';
export { VERSION } from './version.js';
export {
  DEFAULT_CONFIG, THRESHOLD_DOCS, FINDING_KINDS, SEVERITIES, ConfigError, mergeConfig, setThreshold,
  type DetectConfig, type FindingKind, type Severity,
} from './detect/index.js';
