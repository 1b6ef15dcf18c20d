/**
 * Detector thresholds. A threshold decides a finding's severity, never whether an abnormal
 * connection is reported: below it the finding is `info`. Counts are connections on one endpoint.
 */
export interface DetectConfig {
  /** Evidence packets per finding. */
  evidence: number;
  /** Connection ids listed per finding (the count is always exact). */
  connectionIds: number;
  synFlood: { window: number; rate: number; criticalRate: number };
  synUnanswered: { retransmits: number; warning: number; critical: number };
  connectionRefused: { warning: number; critical: number };
  reset: { warning: number; critical: number };
  halfOpen: { unanswered: number; warning: number; critical: number };
  closeWait: { seconds: number; warning: number; critical: number };
  finWait1: { seconds: number; retransmits: number; warning: number; critical: number };
  finWait2: { seconds: number; warning: number; critical: number };
  lastAck: { seconds: number; retransmits: number; warning: number; critical: number };
  timeWait: { warning: number; critical: number };
  zeroWindow: { seconds: number; warning: number; critical: number };
  portScan: { window: number; targets: number; criticalTargets: number; sources: number };
  slowHandshake: { seconds: number; warning: number; critical: number };
  rtoBackoff: { timeouts: number; warning: number; critical: number };
  highRetransmission: { share: number; criticalShare: number; packets: number };
}

export const DEFAULT_CONFIG: DetectConfig = {
  evidence: 10,
  connectionIds: 1000,
  synFlood: { window: 5, rate: 100, criticalRate: 500 },
  synUnanswered: { retransmits: 1, warning: 1, critical: 20 },
  connectionRefused: { warning: 1, critical: 50 },
  reset: { warning: 10, critical: 100 },
  halfOpen: { unanswered: 3, warning: 1, critical: 20 },
  closeWait: { seconds: 5, warning: 1, critical: 10 },
  finWait1: { seconds: 10, retransmits: 2, warning: 1, critical: 20 },
  finWait2: { seconds: 60, warning: 1, critical: 50 },
  lastAck: { seconds: 10, retransmits: 2, warning: 1, critical: 20 },
  timeWait: { warning: 1000, critical: 28232 },
  zeroWindow: { seconds: 5, warning: 1, critical: 20 },
  portScan: { window: 60, targets: 20, criticalTargets: 500, sources: 100000 },
  slowHandshake: { seconds: 1, warning: 3, critical: 50 },
  rtoBackoff: { timeouts: 3, warning: 1, critical: 20 },
  highRetransmission: { share: 0.02, criticalShare: 0.1, packets: 100 },
};

/** What each threshold means, for `--help`, the README and error messages. */
export const THRESHOLD_DOCS: Record<string, string> = {
  'evidence': 'evidence packets per finding',
  'connectionIds': 'connection ids listed per finding (counts stay exact)',
  'synFlood.window': 'seconds over which the rate of SYNs whose handshake failed is averaged',
  'synFlood.rate': 'SYNs/s (failed handshakes, peak over the window) on one server endpoint that make a flood: warning',
  'synFlood.criticalRate': 'the same rate for critical',
  'synUnanswered.retransmits': 'SYN retransmissions that make an unanswered SYN count towards the severity',
  'synUnanswered.warning': 'such connections on one server endpoint for warning',
  'synUnanswered.critical': 'such connections for critical',
  'connectionRefused.warning': 'refused connections (RST answering a SYN) on one server endpoint for warning',
  'connectionRefused.critical': 'refused connections for critical',
  'reset.warning': 'connections aborted by RST on one server endpoint (by the same side) for warning',
  'reset.critical': 'aborted connections for critical',
  'halfOpen.unanswered': 'retransmissions or keep-alives left unanswered at the end that make a half-open connection count',
  'halfOpen.warning': 'such half-open connections on one server endpoint for warning',
  'halfOpen.critical': 'half-open connections for critical',
  'closeWait.seconds': 'seconds in CLOSE_WAIT (peer\'s FIN acknowledged, own FIN not sent) that make a leak',
  'closeWait.warning': 'leaking connections on one endpoint for warning',
  'closeWait.critical': 'leaking connections for critical',
  'finWait1.seconds': 'seconds in FIN_WAIT_1 that count',
  'finWait1.retransmits': 'FIN retransmissions by the active closer that count',
  'finWait1.warning': 'such connections for warning',
  'finWait1.critical': 'such connections for critical',
  'finWait2.seconds': 'seconds in FIN_WAIT_2 that count (Linux tcp_fin_timeout is 60)',
  'finWait2.warning': 'such connections for warning',
  'finWait2.critical': 'such connections for critical',
  'lastAck.seconds': 'seconds in LAST_ACK that count',
  'lastAck.retransmits': 'FIN retransmissions by the passive closer that count',
  'lastAck.warning': 'such connections for warning',
  'lastAck.critical': 'such connections for critical',
  'timeWait.warning': 'server-side TIME_WAIT connections on one endpoint at the same moment (peak) for warning',
  'timeWait.critical': 'the same for critical (default: the size of Linux\'s ephemeral port range)',
  'zeroWindow.seconds': 'seconds a receiver keeps its window at zero that make a stall (a window still closed at the end is always reported)',
  'zeroWindow.warning': 'stalled connections on one endpoint for warning',
  'zeroWindow.critical': 'stalled connections for critical',
  'portScan.window': 'seconds in which one source\'s targets are counted',
  'portScan.targets': 'distinct address:port targets of one source\'s SYNs within the window that make a scan (warning)',
  'portScan.criticalTargets': 'targets for critical',
  'slowHandshake.seconds': 'seconds from the SYN to the ACK that completes the handshake (Wireshark\'s initial RTT) past which a handshake is slow; one whose SYN or SYN,ACK was sent again always is',
  'slowHandshake.warning': 'slow handshakes on one server endpoint for warning',
  'slowHandshake.critical': 'slow handshakes for critical',
  'rtoBackoff.timeouts': 'retransmission timeouts of data in a row, with no new ACK between them, that make a connection count',
  'rtoBackoff.warning': 'such connections on one server endpoint (by the same side) for warning',
  'rtoBackoff.critical': 'such connections for critical',
  'highRetransmission.share': 'share of all segments to and from one server endpoint that were retransmissions, for warning (0.02: 2%)',
  'highRetransmission.criticalShare': 'the share for critical',
  'highRetransmission.packets': 'segments to and from the endpoint below which no share is judged',
  'portScan.sources': 'sources with several targets followed at once (memory bound); single-target sources take a table of twice as many slots, where a newer one replaces an older',
};

export class ConfigError extends Error {}

/**
 * Thresholds from a partial object (a `--config` file) over `base`: unknown keys and values that
 * are not non-negative numbers are errors naming the key.
 */
export function mergeConfig(base: DetectConfig, partial: unknown, source: string): DetectConfig {
  const out = structuredClone(base) as unknown as Record<string, unknown>;
  if (typeof partial !== 'object' || partial === null || Array.isArray(partial)) {
    throw new ConfigError(`${source}: expected a JSON object of thresholds`);
  }
  for (const [key, value] of Object.entries(partial)) {
    if (!(key in out)) throw new ConfigError(`${source}: unknown setting "${key}" (known: ${Object.keys(out).join(', ')})`);
    const target = out[key];
    if (typeof target === 'number') {
      out[key] = checkNumber(value, key, source);
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${source}: "${key}" must be an object`);
    const group = target as Record<string, number>;
    for (const [k, v] of Object.entries(value)) {
      if (!(k in group)) throw new ConfigError(`${source}: unknown setting "${key}.${k}" (known: ${Object.keys(group).map((x) => `${key}.${x}`).join(', ')})`);
      group[k] = checkNumber(v, `${key}.${k}`, source);
    }
  }
  return out as unknown as DetectConfig;
}

/** One `name=value` threshold from the command line (`closeWait.seconds=2`). */
export function setThreshold(base: DetectConfig, assignment: string): DetectConfig {
  const m = /^([A-Za-z0-9]+)(?:\.([A-Za-z0-9]+))?=(.*)$/.exec(assignment);
  if (!m) throw new ConfigError(`--threshold ${assignment}: expected NAME=VALUE, e.g. closeWait.seconds=2`);
  const raw = m[3]!;
  const value = raw.trim() === '' || Number.isNaN(Number(raw)) ? raw : Number(raw);
  const partial = m[2] === undefined ? { [m[1]!]: value } : { [m[1]!]: { [m[2]]: value } };
  return mergeConfig(base, partial, `--threshold ${assignment}`);
}

function checkNumber(v: unknown, key: string, source: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ConfigError(`${source}: "${key}" must be a non-negative number, not ${JSON.stringify(v)}`);
  return v;
}
