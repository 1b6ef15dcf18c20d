export { evaluate, ExpectationError, parseExpectations, rulesFor, type Expectations, type Rule, type RuleResult } from './expectations.js';
export { junitXml, type CaptureOutcome } from './junit.js';
export { asReport, reportDiff, ReportFormatError } from './diff.js';
export { compareBaseline, readReport } from './baseline.js';
export { checkJson, checkText, runCheck, type CheckOptions, type CheckRun } from './run.js';
