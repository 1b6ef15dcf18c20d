export { evaluate, ExpectationError, parseExpectations, rulesFor, type Expectations, type Rule, type RuleResult } from './expectations.js';
export { junitXml, type CaptureOutcome } from './junit.js';
export { asReport, reportDiff, ReportFormatError } from './diff.js';
