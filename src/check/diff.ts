/**
 * Differences between two `tcpstate.report/1` JSON documents that a baseline cares about: the
 * findings (kind, endpoint, severity, connections), the end-state matrix, and each connection's end
 * states. Capture paths, tool versions and the like are not compared. One readable line each.
 */
export class ReportFormatError extends Error {}

interface FindingDoc { kind: string; severity: string; endpoint: string | null; counts: { connections?: number } }
interface EndpointDoc { addr: string; port: number; state: string }
interface ConnectionDoc { id: number; client: EndpointDoc; server: EndpointDoc }
export interface ReportDoc {
  schema: string;
  endStates: { client: string; server: string; count: number }[];
  connections: ConnectionDoc[];
  findings: FindingDoc[];
}

/** Checks the shape of a parsed report just enough to compare it; `name` is used in errors. */
export function asReport(doc: unknown, name: string): ReportDoc {
  const d = doc as Partial<ReportDoc> | null;
  if (typeof d !== 'object' || d === null || d.schema !== 'tcpstate.report/1') {
    throw new ReportFormatError(`${name}: not a tcpstate JSON report (schema tcpstate.report/1)`);
  }
  if (!Array.isArray(d.endStates) || !Array.isArray(d.connections) || !Array.isArray(d.findings)) {
    throw new ReportFormatError(`${name}: a tcpstate report without endStates, connections and findings`);
  }
  return d as ReportDoc;
}

export function reportDiff(before: ReportDoc, after: ReportDoc): string[] {
  const out: string[] = [];
  // Findings, keyed by kind and endpoint (and side or cause, which tell apart findings on one endpoint).
  const key = (f: FindingDoc) => {
    const c = f.counts as Record<string, unknown>;
    const extra = [c.side, c.cause, c.resetBy].filter((x) => typeof x === 'string').join(' ');
    return `${f.kind} ${f.endpoint ?? '-'}${extra ? ` (${extra})` : ''}`;
  };
  const fa = new Map(before.findings.map((f) => [key(f), f]));
  const fb = new Map(after.findings.map((f) => [key(f), f]));
  const n = (f: FindingDoc) => f.counts.connections ?? 0;
  for (const [k, f] of fa) {
    const g = fb.get(k);
    if (!g) out.push(`- finding ${f.severity} ${k}: ${n(f)} connections (gone)`);
    else if (g.severity !== f.severity || n(g) !== n(f)) {
      const changes = [...(g.severity !== f.severity ? [`${f.severity} → ${g.severity}`] : []),
        ...(n(g) !== n(f) ? [`${n(f)} → ${n(g)} connections`] : [])];
      out.push(`~ finding ${k}: ${changes.join(', ')}`);
    }
  }
  for (const [k, g] of fb) if (!fa.has(k)) out.push(`+ finding ${g.severity} ${k}: ${n(g)} connections (new)`);
  // End-state matrix cells.
  const cells = (r: ReportDoc) => new Map(r.endStates.map((e) => [`${e.client}/${e.server}`, e.count]));
  const ca = cells(before);
  const cb = cells(after);
  for (const k of [...new Set([...ca.keys(), ...cb.keys()])].sort()) {
    const x = ca.get(k) ?? 0;
    const y = cb.get(k) ?? 0;
    if (x !== y) out.push(`~ end states ${k} (client/server): ${x} → ${y} connections`);
  }
  // Each connection's end states, matched by four-tuple and order of appearance.
  const conns = (r: ReportDoc) => {
    const m = new Map<string, ConnectionDoc>();
    const seen = new Map<string, number>();
    for (const c of r.connections) {
      const t = `${ep(c.client)} > ${ep(c.server)}`;
      const i = (seen.get(t) ?? 0) + 1;
      seen.set(t, i);
      m.set(i === 1 ? t : `${t} #${i}`, c);
    }
    return m;
  };
  const ma = conns(before);
  const mb = conns(after);
  let listed = 0;
  const LIMIT = 50;
  const push = (line: string) => {
    if (listed++ < LIMIT) out.push(line);
  };
  for (const [k, c] of ma) {
    const d = mb.get(k);
    if (!d) push(`- connection ${k}: ${c.client.state}/${c.server.state} (gone)`);
    else if (d.client.state !== c.client.state || d.server.state !== c.server.state) {
      push(`~ connection ${k}: ${c.client.state}/${c.server.state} → ${d.client.state}/${d.server.state}`);
    }
  }
  for (const [k, d] of mb) if (!ma.has(k)) push(`+ connection ${k}: ${d.client.state}/${d.server.state} (new)`);
  if (listed > LIMIT) out.push(`… and ${listed - LIMIT} more connection changes`);
  return out;
}

function ep(e: EndpointDoc): string {
  return e.addr.includes(':') ? `[${e.addr}]:${e.port}` : `${e.addr}:${e.port}`;
}
