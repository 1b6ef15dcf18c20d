export { correlate, type CorrelateOptions } from './correlate.js';
export {
  CORRELATE_SCHEMA, type ClockEstimate, type CorrelateReport, type CorrelatedConnection, type CorrelatedEndpoint, DEFAULT_PATH_LOSS, type DelayStats,
  type PathLossFinding, type PathLossThresholds, type PathSegment, type Point,
} from './model.js';
export { renderCorrelateHtml, renderCorrelateJson, renderCorrelateMarkdown, renderCorrelateText } from './render.js';
