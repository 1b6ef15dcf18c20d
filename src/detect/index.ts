export { DEFAULT_CONFIG, THRESHOLD_DOCS, ConfigError, mergeConfig, setThreshold, type DetectConfig } from './config.js';
export { EvidenceStore, type EvidencePacket, recordEvidence } from './evidence.js';
export { endpointKey, FINDING_KINDS, SEVERITIES, type Finding, type FindingKind, type FindingPlace, type Severity } from './finding.js';
export { Detectors } from './detectors.js';
export { SecondCounts } from './seconds.js';
export { MAX_SERVERS, retransmissionShare, type ServerRow, serverProblems, ServerTable, type ServerTableReport } from './servers.js';
