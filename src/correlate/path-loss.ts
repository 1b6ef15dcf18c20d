import type { CorrelateReport, PathLossFinding, PathLossThresholds, PathSegment } from './model.js';

/** Lost segments a finding shows as evidence. */
const EVIDENCE = 5;

/**
 * path_loss: a client and a server endpoint whose segments were lost between the two capture
 * points more often than the thresholds allow, either way. A segment counts as sent when the
 * capture nearer its sender saw it while the other capture was running (matched, or lost).
 */
export function pathLoss(report: CorrelateReport, t: PathLossThresholds): PathLossFinding[] {
  const groups = new Map<string, PathLossFinding & { segments: PathSegment[] }>();
  for (const c of report.connections) {
    const key = `${c.client.addr} ${c.server.addr} ${c.server.port}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = {
        kind: 'path_loss', severity: 'warning', client: c.client.addr, server: c.family === 6 ? `[${c.server.addr}]:${c.server.port}` : `${c.server.addr}:${c.server.port}`,
        family: c.family, connections: 0, lost: { clientToServer: 0, serverToClient: 0 }, sent: { clientToServer: 0, serverToClient: 0 },
        first: { sec: 0, nsec: 0 }, last: { sec: 0, nsec: 0 }, evidence: [], segments: [],
      };
      groups.set(key, g);
    }
    g.connections++;
    for (const l of c.lost) {
      if (l.from === 'client') g.lost.clientToServer++;
      else g.lost.serverToClient++;
      g.segments.push(l);
      if (g.evidence.length < EVIDENCE) g.evidence.push({ ids: c.ids, segment: l });
    }
    g.sent.clientToServer += (c.oneWayDelay.clientToServer?.samples ?? 0) + c.lost.filter((l) => l.from === 'client').length;
    g.sent.serverToClient += (c.oneWayDelay.serverToClient?.samples ?? 0) + c.lost.filter((l) => l.from === 'server').length;
  }
  const out: PathLossFinding[] = [];
  for (const g of groups.values()) {
    const lost = g.lost.clientToServer + g.lost.serverToClient;
    const share = Math.max(shareOf(g.lost.clientToServer, g.sent.clientToServer), shareOf(g.lost.serverToClient, g.sent.serverToClient));
    if (lost < t.segments || share < t.share) continue;
    const times = g.segments.map((s) => s.sec + s.nsec * 1e-9);
    const at = (v: number) => g.segments[times.indexOf(v)]!;
    const first = at(Math.min(...times));
    const last = at(Math.max(...times));
    const { segments: _, ...finding } = g;
    out.push({ ...finding, severity: share >= t.criticalShare ? 'critical' : 'warning', first: { sec: first.sec, nsec: first.nsec }, last: { sec: last.sec, nsec: last.nsec } });
  }
  const rank = (f: PathLossFinding) => (f.severity === 'critical' ? 0 : 1);
  return out.sort((p, q) => rank(p) - rank(q) || (q.lost.clientToServer + q.lost.serverToClient) - (p.lost.clientToServer + p.lost.serverToClient) ||
    (p.client < q.client ? -1 : p.client > q.client ? 1 : p.server < q.server ? -1 : p.server > q.server ? 1 : 0));
}

export function shareOf(lost: number, sent: number): number {
  return sent > 0 ? lost / sent : 0;
}
