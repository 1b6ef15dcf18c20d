import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { analyze, renderHtml } from '../src/index.js';
import { buildPcap, memoryInput } from './helpers/build.js';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, 'test-output');
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

async function page(name: string, html: string) {
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, name);
  writeFileSync(file, html);
  return file;
}

// Debian's chromium (apt-get install chromium; .ci/run installs it) driven by playwright-core.
describe.skipIf(!CHROMIUM)('the HTML report in a real browser (headless Chromium)', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 60000);
  afterAll(async () => {
    await browser?.close();
  });

  it('one capture of each finding kind: its summary, its finding with next steps, a timeline of 60 bins or more with the finding as a band, a heat map by severity; prints to PDF', async () => {
    const KINDS: [string, string][] = [
      ['syn_flood', 'syn-flood.pcap'], ['port_scan', 'port-scan.pcap'], ['half_open', 'half-open.pcap'], ['connection_refused', 'refused.pcap'], ['reset', 'reset-storm.pcap'],
      ['close_wait_leak', 'server-never-closes.pcap'], ['fin_wait_2_stuck', 'mixed.pcap'], ['fin_wait_1_stuck', 'fin-wait-1-stuck.pcap'],
      ['last_ack_lost', 'final-ack-dropped.pcap'], ['syn_unanswered', 'mixed.pcap'], ['zero_window_stall', 'fin-zero-window.pcap'],
      ['time_wait_pileup', 'time-wait-pileup.pcap'], ['simultaneous_close', 'simultaneous-close.pcap'], ['slow_handshake', 'slow-handshake.pcap'],
      ['rto_backoff', 'rto-backoff.pcap'], ['high_retransmission', 'lossy.pcap'],
    ];
    mkdirSync(OUT, { recursive: true });
    for (const [kind, capture] of KINDS) {
      // Named as a reader would type it (the page's title shows it), from the project's root.
      const report = await analyze([relative(process.cwd(), join(ROOT, 'captures', capture))], { transitions: true, graphs: true });
      const f = report.findings.find((x) => x.kind === kind);
      expect(f, `${capture} has ${kind}`).toBeDefined();
      const file = await page(`kind-${kind}.html`, [...renderHtml(report)].join(''));
      const tab = await browser.newPage({ viewport: { width: 1200, height: 1250 } });
      const errors: string[] = [];
      tab.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      tab.on('pageerror', (e) => errors.push(e.message));
      await tab.goto(pathToFileURL(file).href);
      expect(await tab.locator('#summary').textContent()).toMatch(/^From .* UTC/);
      expect(await tab.locator(`.finding.${f!.severity} .next li`).count()).toBeGreaterThan(1);
      const chart = tab.locator('svg.timeline').first();
      // 60 bins or more on every chart: across the capture, and across the findings where they fill a tenth of it or less.
      for (const label of await tab.locator('svg.timeline text:last-of-type').allTextContents()) {
        expect(Number(label.match(/\((\d+) bins/)![1]), `${capture}: ${label}`).toBeGreaterThanOrEqual(60);
      }
      // The chart fills the page's width (less the margins).
      expect((await chart.boundingBox())!.width).toBeGreaterThan(1000);
      expect(await tab.locator(`svg.timeline rect.band.${f!.severity}`).count()).toBeGreaterThan(0);
      // The cells the finding's connections ended in take its severity, or a worse finding's.
      const asBad = ['critical', 'warning', 'info'].slice(0, ['critical', 'warning', 'info'].indexOf(f!.severity) + 1);
      expect(await tab.locator(asBad.map((k) => `#matrix td.cell-${k}`).join(', ')).count(), `${capture}: heat map`).toBeGreaterThan(0);
      // Evidence lines wrap: none is wider than its box.
      const cut = await tab.evaluate(() => [...document.querySelectorAll('.finding pre')].filter((p) => p.scrollWidth > p.clientWidth + 1).length);
      expect(cut).toBe(0);
      await tab.screenshot({ path: join(OUT, `kind-${kind}.png`) });
      await tab.emulateMedia({ media: 'print' });
      expect(await tab.locator('#filter').isVisible()).toBe(false);
      const pdf = await tab.pdf({ format: 'A4' });
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      expect(errors).toEqual([]);
      await tab.close();
    }
  }, 180000);

  it('renders the flood: findings, a timeline with data, a heat map, a table that sorts and filters, a ladder; no console errors', async () => {
    const report = await analyze([join(ROOT, 'captures', 'syn-flood.pcap')], { transitions: true });
    const file = await page('syn-flood.html', [...renderHtml(report)].join(''));
    const tab = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
    const errors: string[] = [];
    tab.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    tab.on('pageerror', (e) => errors.push(e.message));
    await tab.goto(pathToFileURL(file).href);
    expect(await tab.locator('.finding.critical').count()).toBe(1);
    expect(await tab.locator('.finding.critical').textContent()).toContain('syn_flood');
    const bars = Number(await tab.locator('#timeline-svg').getAttribute('data-bars'));
    expect(bars).toBeGreaterThan(0);
    expect(await tab.locator('#timeline-svg rect.bar').count()).toBe(bars);
    expect(await tab.locator('#matrix td[style]').count()).toBeGreaterThan(0);
    const firstId = () => tab.locator('#connections tbody tr:first-child td:first-child').textContent();
    expect(await firstId()).toBe('1');
    // Sorted by id; a click on the header reverses it, another puts it back.
    await tab.locator('#connections th', { hasText: /^id$/ }).click();
    expect(await firstId()).toBe(String(report.summary.connections));
    await tab.locator('#connections th', { hasText: /^id$/ }).click();
    expect(await firstId()).toBe('1');
    await tab.locator('#connections th', { hasText: /^retx$/ }).click();
    expect(Number(await tab.locator('#connections tbody tr:first-child td:nth-child(11)').textContent())).toBe(0);
    await tab.locator('#filter').fill('10.77.0.1');
    expect(await tab.locator('#count').textContent()).toBe(`3 of ${report.summary.connections} connections`);
    await tab.locator('#connections tbody tr').first().click();
    expect(await tab.locator('#ladder table tr').count()).toBeGreaterThan(1);
    mkdirSync(OUT, { recursive: true });
    await tab.locator('#filter').fill('');
    await tab.screenshot({ path: join(OUT, 'html-report.png'), fullPage: false });
    expect(existsSync(join(OUT, 'html-report.png'))).toBe(true);
    expect(errors).toEqual([]);
    await tab.close();
  }, 60000);

  it('draws the graphs: a finding\'s connection and the one clicked (time-sequence, round trips, throughput), from a second read of the capture', async () => {
    const report = await analyze([join(ROOT, 'captures', 'rto-backoff.pcap')], { transitions: true, graphs: true });
    const series = report.graphs!.get(1)!;
    // Every TCP segment of the capture (its one connection) is a point.
    expect(series.points.length / 7).toBe(report.summary.tcpPackets);
    const file = await page('rto-backoff.html', [...renderHtml(report)].join(''));
    const tab = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(e.message));
    tab.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await tab.goto(pathToFileURL(file).href);
    // The rto_backoff finding's connection: its write and the five copies the timer sent again, in red.
    const box = tab.locator('.finding', { hasText: 'rto_backoff' });
    expect(await box.locator('.finding-graph svg').count()).toBe(2);
    expect(await box.locator('.finding-graph line.retx').count()).toBe(5);
    await tab.locator('#connections tbody tr').first().click();
    expect(await tab.locator('#graphs svg').count()).toBe(4);
    expect(await tab.locator('#graphs path.ack').count()).toBe(2);
    expect(await tab.locator('#graphs .rtt').count()).toBeGreaterThan(0);
    expect(await tab.locator('#graphs path.tput').count()).toBe(2);
    await tab.locator('#graphs').screenshot({ path: join(OUT, 'html-graphs.png') });
    expect(errors).toEqual([]);
  });

  it('shows text from the capture as text: a file name full of markup injects nothing', async () => {
    const name = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>.pcap';
    const r = await analyze([memoryInput(name, buildPcap([
      { t: 1, from: 'c', flags: 'S', seq: 1 }, { t: 1.001, from: 's', flags: 'R.', seq: 0, ack: 2 },
    ]))]);
    const html = [...renderHtml(r)].join('');
    expect(html).not.toContain('<img');
    expect(html.match(/<script/g)).toHaveLength(2);
    const file = await page('markup.html', html);
    const tab = await browser.newPage();
    await tab.goto(pathToFileURL(file).href);
    expect(await tab.locator('#title').textContent()).toBe(`tcpstate: ${name}`);
    expect(await tab.locator('img').count()).toBe(0);
    expect(await tab.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    await tab.close();
  }, 60000);
});

describe('the HTML report file', () => {
  it('is self-contained: no URL to load anything from', async () => {
    const html = [...renderHtml(await analyze([join(ROOT, 'captures', 'mixed.pcap')], { transitions: true }))].join('');
    expect(html).not.toMatch(/\b(src|href)=["']?(https?:)?\/\//i);
    expect(html).toContain("default-src 'none'");
    expect(html.length).toBeLessThan(1_000_000);
  });
});
