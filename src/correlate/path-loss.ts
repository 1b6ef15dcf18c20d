import type { CorrelateReport, PathLossFinding, PathLossThresholds } from './model.js';

/** Lost segments a finding shows as evidence. */
const EVIDENCE = 5;

/**
 * path_loss: a client and a server endpoint whose segments were lost between the two capture
 * points more often than the thresholds allow, either way. A segment counts as sent when the
 * capture nearer its sender saw it while the other capture was running (matched, or lost).
 */
export function pathLoss(report: CorrelateReport, t: PathLossThresholds): PathLossFinding[] {
  const groups = new Map<string, PathLossFinding>();
  const when = (x: { sec: number; nsec: number }) => x.sec + x.nsec * 1e-9;
  for (const c of report.connections) {
    const key = `${c.client.addr} ${c.server.addr} ${c.server.port}`;
    let g = groups.get(key);
    if (g === undefined) {
      g = {
        kind: 'path_loss', severity: 'warning', client: c.client.addr, server: c.family === 6 ? `[${c.server.addr}]:${c.server.port}` : `${c.server.addr}:${c.server.port}`,
        family: c.family, connections: 0, lost: { clientToServer: 0, serverToClient: 0 }, sent: { clientToServer: 0, serverToClient: 0 },
        first: { sec: Infinity, nsec: 0 }, last: { sec: -Infinity, nsec: 0 }, evidence: [],
      };
      groups.set(key, g);
    }
    g.connections++;
    g.sent.clientToServer += c.oneWayDelay.clientToServer?.samples ?? 0;
    g.sent.serverToClient += c.oneWayDelay.serverToClient?.samples ?? 0;
    // A lost segment was sent too: sent counts the matched and the lost.
    for (const l of c.lost) {
      const way = l.from === 'client' ? 'clientToServer' : 'serverToClient';
      g.lost[way]++;
      g.sent[way]++;
      if (when(l) < when(g.first)) g.first = { sec: l.sec, nsec: l.nsec };
      if (when(l) > when(g.last)) g.last = { sec: l.sec, nsec: l.nsec };
      if (g.evidence.length < EVIDENCE) g.evidence.push({ ids: c.ids, segment: l });
    }
  }
  const out: PathLossFinding[] = [];
  for (const g of groups.values()) {
    const lost = g.lost.clientToServer + g.lost.serverToClient;
    const share = Math.max(shareOf(g.lost.clientToServer, g.sent.clientToServer), shareOf(g.lost.serverToClient, g.sent.serverToClient));
    if (lost < t.segments || share < t.share) continue;
    out.push({ ...g, severity: share >= t.criticalShare ? 'critical' : 'warning' });
  }
  const rank = (f: PathLossFinding) => (f.severity === 'critical' ? 0 : 1);
  return out.sort((p, q) => rank(p) - rank(q) || (q.lost.clientToServer + q.lost.serverToClient) - (p.lost.clientToServer + p.lost.serverToClient) ||
    (p.client < q.client ? -1 : p.client > q.client ? 1 : p.server < q.server ? -1 : p.server > q.server ? 1 : 0));
}

export function shareOf(lost: number, sent: number): number {
  return sent > 0 ? lost / sent : 0;
}
