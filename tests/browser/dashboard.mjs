// Browser test of the pipeline dashboard (/dashboard) and the console's Pipelines view, with
// Debian's chromium driven by playwright-core. Run by tests/browser/dashboard.sh, which starts
// the server first. Environment:
//   SLUICE_URL    the server, e.g. http://127.0.0.1:8080
//   SLUICE_TOKEN  the management token
//   SLUICE_BUILD  the build folder: screenshots go to SLUICE_BUILD/browser/
//   TCP_PORT      a free port for the air-quality pipeline's TCP source
//   TCP_PORT2     another, for the pipeline uploaded through the console
//   CHROMIUM      the browser (default /usr/bin/chromium)
// The pipeline has no stages (no anomaly function): the CSV lines carry is_anomaly themselves.
// Prints one line per check and ends with `dashboard: N passed, N failed`; exits 1 on a failure.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {allowLoadFailure, check, closeContext, finish, group, launch, must, setOutput, shot, text,
  watch} from './harness.mjs';

const URL_ = (process.env.SLUICE_URL || '').replace(/\/+$/, '');
const TOKEN = process.env.SLUICE_TOKEN || '';
const BUILD = process.env.SLUICE_BUILD || '';
const TCP_PORT = Number(process.env.TCP_PORT || 0);
const TCP_PORT2 = Number(process.env.TCP_PORT2 || 0);
if (!URL_ || !TOKEN || !BUILD || !TCP_PORT || !TCP_PORT2) {
  console.error('dashboard: set SLUICE_URL, SLUICE_TOKEN, SLUICE_BUILD, TCP_PORT and TCP_PORT2 ' +
    '(tests/browser/dashboard.sh does)');
  process.exit(2);
}
const OUT = path.join(BUILD, 'browser');
fs.mkdirSync(OUT, {recursive: true});
setOutput(OUT);
const TIMEOUT = Number(process.env.BROWSER_TIMEOUT_MS || 15000);
const PIPE = 'air-quality';

async function api(method, p, body, type = 'application/json') {
  const r = await fetch(URL_ + p, {
    method,
    headers: {Authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? {'Content-Type': type} : {})},
    body,
  });
  const text = await r.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch (_) { /* not JSON */ }
  return {status: r.status, json, text};
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls fn() until it returns a truthy value; returns the last value (falsy after `ms`).
async function until(fn, ms = TIMEOUT) {
  const end = Date.now() + ms;
  let v;
  while (!(v = await fn()) && Date.now() < end) await sleep(100);
  return v;
}

// ---- the data: one reading a minute from 2024-03-01T00:00:00Z; anomalies are spikes ----------

const T0 = Date.UTC(2024, 2, 1);
const tsOf = (i) => new Date(T0 + i * 60000).toISOString().replace('.000Z', 'Z');

function readings(from, to, anomalies) {
  const lines = [];
  for (let i = from; i < to; i++) {
    let v = 42 + 9 * Math.sin(i / 17) + 2.5 * Math.sin(i * 1.3);
    const a = anomalies.includes(i);
    if (a) v += i % 2 ? 38 : -27;
    lines.push(`${tsOf(i)},${v.toFixed(3)},${a ? 'true' : 'false'}`);
  }
  return `${lines.join('\n')}\n`;
}

// Sends text to 127.0.0.1:port over one TCP connection, and closes it. The tcp source opens
// its listener on its own thread once the pipeline has started, so a refused connection is
// tried again for a few seconds, as a sender does.
function sendOnce(port, text) {
  return new Promise((resolve, reject) => {
    const s = net.connect({host: '127.0.0.1', port}, () => s.end(text));
    s.on('error', reject);
    s.on('close', () => resolve());
  });
}
async function send(port, text) {
  for (let tries = 0; ; tries++) {
    try {
      return await sendOnce(port, text);
    } catch (e) {
      if (e.code !== 'ECONNREFUSED' || tries >= 50) throw e;
      await new Promise(r => setTimeout(r, 100));
    }
  }
}

const ANOM1 = [23, 61, 102, 150, 188, 231, 277]; // 7 in the first 300
const ANOM2 = [322, 355, 391]; // 3 in the next 100

const YAML = `# the air-quality pipeline of the dashboard test: no stages, is_anomaly comes with the data
name: ${PIPE}
source: {type: tcp, listen: 127.0.0.1:${TCP_PORT}}
parser:
  type: csv
  columns:
    - {name: timestamp, type: timestamp}
    - {name: air_quality, type: float}
    - {name: is_anomaly, type: bool}
sinks:
  - {type: sqlite, path: aq.db, table: readings}
linger: 20ms
`;

async function sinkRecords(name) {
  const r = await api('GET', `/api/pipelines/${name}`);
  const s = r.json && r.json.stats && r.json.stats.sinks && r.json.stats.sinks[0];
  return s ? s.records : -1;
}

const waitText = (page, id, want) => page.waitForFunction(([i, w]) => {
  const e = document.getElementById(i);
  return e && e.textContent.trim() === w;
}, [id, want], {timeout: TIMEOUT});

// ---- the pipeline, through the API ----------------------------------------------------------

let setupOk = false;
async function setup() {
  await group('dashboard: the air-quality pipeline (API)', null, async () => {
    const put = await api('PUT', `/api/pipelines/${PIPE}`, YAML, 'application/yaml');
    must(put.status === 201, `PUT /api/pipelines/${PIPE} answers 201`, `${put.status} ${put.text}`);
    check(put.json.state === 'stopped', 'the new pipeline is stopped', put.text);
    const st = await api('POST', `/api/pipelines/${PIPE}/start`);
    must(st.status === 200 && st.json.state === 'running', 'POST .../start: running', `${st.status} ${st.text}`);
    await send(TCP_PORT, readings(0, 300, ANOM1));
    const n = await until(async () => (await sinkRecords(PIPE)) === 300);
    must(n, 'the 300 lines sent over TCP reach the sqlite sink', await sinkRecords(PIPE));
    const rec = await api('GET', `/api/pipelines/${PIPE}/records?after=0&limit=5000`);
    must(rec.status === 200 && rec.json.records.length === 300, 'GET .../records?after=0 gives the 300 rows',
      `${rec.status} ${rec.text.slice(0, 200)}`);
    check(rec.json.last === 300, 'and last = 300', rec.json.last);
    check(rec.json.records.filter((r) => r.is_anomaly === 1 || r.is_anomaly === true).length === 7,
      '7 of them anomalous', JSON.stringify(rec.json.records[ANOM1[0]]));
    check(rec.json.records[0].timestamp === tsOf(0), 'timestamps come back as ISO 8601 strings', rec.json.records[0].timestamp);
    const tail = await api('GET', `/api/pipelines/${PIPE}/records?after=300&limit=10`);
    check(tail.status === 200 && tail.json.records.length === 0 && tail.json.last === 300,
      'after=300: no rows, last stays 300', tail.text);
    setupOk = true;
  });
}

// ---- the dashboard ----------------------------------------------------------------------------

async function testDashboard(browser) {
  const ctx = await browser.newContext({viewport: {width: 1280, height: 900}});
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  watch(page, 'dashboard');
  const apiWithoutToken = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.startsWith('/api/') && !r.headers().authorization) apiWithoutToken.push(r.url());
  });
  let navigations = 0;
  page.on('framenavigated', (f) => {
    if (f === page.mainFrame()) navigations++;
  });

  await group('dashboard: live plot', page, async () => {
    must(setupOk, 'the pipeline is set up');
    const res = await page.goto(`${URL_}/dashboard?pipeline=${PIPE}`);
    must(res && res.status() === 200, 'GET /dashboard answers 200', res && res.status());
    await page.locator('#token-dialog').waitFor({state: 'visible'});
    check(true, 'without a token it asks for one');
    await page.fill('#token-input', TOKEN);
    await page.click('#token-submit');
    await page.locator('#token-dialog').waitFor({state: 'hidden'});
    check(await page.evaluate(() => localStorage.getItem('sluice.token')) === TOKEN,
      'the token is kept in localStorage (the console\'s key)');

    const t1 = Date.now();
    await waitText(page, 'stat-shown', '300');
    check(true, `it shows 300 records (${Date.now() - t1} ms after the token)`);
    check(await text(page.locator('#pipe-name')) === PIPE, 'the pipeline\'s name is shown');
    const circles = page.locator('#chart svg circle.anomaly');
    check(await circles.count() === 7, 'the SVG has exactly 7 circle.anomaly', await circles.count());
    const times = (await circles.evaluateAll((cs) => cs.map((c) => c.dataset.time))).sort();
    check(JSON.stringify(times) === JSON.stringify(ANOM1.map(tsOf).sort()), 'at the anomalous records\' timestamps',
      times.join(' '));
    const fill = await circles.first().evaluate((c) => getComputedStyle(c).fill);
    check(fill === 'rgb(220, 38, 38)', 'drawn in red', fill);
    const line = page.locator('#chart svg path.line');
    must(await line.count() === 1, 'the line path exists');
    const d = await line.getAttribute('d');
    check((d.match(/[ML]/g) || []).length === 300 && d.startsWith('M'), 'through the 300 points',
      `${(d.match(/[ML]/g) || []).length} vertices`);
    const xs = [...d.matchAll(/[ML]([\d.]+),/g)].map((m) => Number(m[1]));
    check(xs.every((x, i) => i === 0 || x > xs[i - 1]), 'left to right in time');
    const box = await page.locator('#chart svg').boundingBox();
    check(box && box.width > 600 && box.height > 250, 'the chart is shown, large enough', JSON.stringify(box));
    check((await page.locator('#chart svg .axis-x text').count()) >= 3, 'with time ticks on the x axis');
    check(await text(page.locator('#stat-anomalies')) === '7', 'counter: 7 anomalies', await text(page.locator('#stat-anomalies')));
    check(await text(page.locator('#stat-last')) === tsOf(299), `counter: last timestamp ${tsOf(299)}`,
      await text(page.locator('#stat-last')));
    await page.locator('#pipe-state', {hasText: 'running'}).waitFor();
    check(true, 'the pipeline\'s state: running');
    check(await text(page.locator('#pipe-cards [data-stat="source"] .card-value')) === '300', 'its source counted 300 records',
      await text(page.locator('#pipe-cards [data-stat="source"] .card-value')));
    check(await text(page.locator('#pipe-sinks td[data-k="records"]')) === '300', 'its sqlite sink 300',
      await text(page.locator('#pipe-sinks td[data-k="records"]')));
    check(await page.locator('#anomaly-table tbody tr').count() === 7, 'the latest anomalies are listed');
    await shot(page, 'dashboard-300.png');

    // 100 more lines, 3 of them anomalies: the page follows without a reload.
    await page.evaluate(() => {
      window.__sameDocument = 'yes';
    });
    const navBefore = navigations;
    const t2 = Date.now();
    await send(TCP_PORT, readings(300, 400, ANOM2));
    await waitText(page, 'stat-shown', '400');
    check(true, `live: it shows 400 records ${Date.now() - t2} ms after they were sent`);
    await waitText(page, 'stat-anomalies', '10');
    check(true, 'counter: 10 anomalies');
    check(await circles.count() === 10, 'the SVG has exactly 10 circle.anomaly', await circles.count());
    const times2 = (await circles.evaluateAll((cs) => cs.map((c) => c.dataset.time))).sort();
    check(JSON.stringify(times2) === JSON.stringify([...ANOM1, ...ANOM2].map(tsOf).sort()), 'at the right timestamps');
    const d2 = await line.getAttribute('d');
    check((d2.match(/[ML]/g) || []).length === 400, 'the line goes through 400 points', (d2.match(/[ML]/g) || []).length);
    check(await text(page.locator('#stat-last')) === tsOf(399), `counter: last timestamp ${tsOf(399)}`,
      await text(page.locator('#stat-last')));
    check(await page.evaluate(() => window.__sameDocument) === 'yes' && navigations === navBefore,
      'without a reload (the same document)');
    await page.waitForFunction(() => document.querySelector('#pipe-cards [data-stat="source"] .card-value')
      ?.textContent === '400', null, {timeout: TIMEOUT});
    check(true, 'the pipeline\'s counters follow: 400');
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.4);
    await page.locator('#chart-tip').waitFor({state: 'visible'});
    check(/^2024-03-01T\d\d:\d\d:00Z · /.test(await text(page.locator('#chart-tip'))), 'hovering shows the nearest point',
      await text(page.locator('#chart-tip')));
    await shot(page, 'dashboard.png');
    check(apiWithoutToken.length === 0, 'no API request without the token', apiWithoutToken.join(' '));

    // Only the newest N points are kept (?points=N), with the anomalies among them.
    const page2 = await ctx.newPage();
    watch(page2, 'dashboard?points=350');
    await page2.goto(`${URL_}/dashboard?pipeline=${PIPE}&points=350`);
    await waitText(page2, 'stat-received', '400');
    await waitText(page2, 'stat-shown', '350');
    check(true, '?points=350: 350 of the 400 rows read are shown (token from localStorage)');
    const want = [...ANOM1, ...ANOM2].filter((i) => i >= 50).length;
    check(await page2.locator('#chart svg circle.anomaly').count() === want, `with the ${want} anomalies among them`,
      await page2.locator('#chart svg circle.anomaly').count());
    check(await text(page2.locator('#stat-anomalies')) === String(want), `counter: ${want}`);
    await page2.close();
  });
  await closeContext(ctx);
}

// ---- the console's Pipelines view ---------------------------------------------------------------

async function testConsole(browser) {
  const ctx = await browser.newContext({viewport: {width: 1280, height: 900}});
  await ctx.addInitScript((t) => localStorage.setItem('sluice.token', t), TOKEN);
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  watch(page, 'console');
  const card = (name) => page.locator(`#pipes-list .pipe[data-name="${name}"]`);
  const cardText = async (name, sel) => text(card(name).locator(sel));

  await group('console: pipelines', page, async () => {
    must(setupOk, 'the pipeline is set up');
    await page.goto(`${URL_}/`);
    await page.locator(`#pipeline-list .fn-item[data-name="${PIPE}"]`).waitFor();
    const meta = await text(page.locator(`#pipeline-list .fn-item[data-name="${PIPE}"] .fn-item-meta`));
    check(meta === 'running · 400 records', 'the sidebar lists air-quality: running, 400 records', meta);
    await page.click('#pipelines-link');
    await card(PIPE).waitFor();
    check(await cardText(PIPE, '.pipe-state') === 'running', 'the Pipelines view shows it running');
    check(await cardText(PIPE, '.pipe-sinks td[data-k="records"]') === '400', 'with its sink\'s record count, 400',
      await cardText(PIPE, '.pipe-sinks td[data-k="records"]'));
    check(await cardText(PIPE, '[data-stat="source"] .card-value') === '400', 'and its source\'s');
    check(await cardText(PIPE, '[data-stat="dead_letters"] .card-value') === '0', 'no dead letters');
    check(/No stages/.test(await cardText(PIPE, '.pipe-stages tbody')), 'no stages');
    check(await card(PIPE).locator('[data-action="start"]').isDisabled(), 'Start is disabled while it runs');
    check((await card(PIPE).locator('a', {hasText: 'Dashboard'}).getAttribute('href')) === `/dashboard?pipeline=${PIPE}`,
      'a link to its dashboard');

    // Refreshed every second: 20 more lines show up without a click.
    await send(TCP_PORT, readings(400, 420, []));
    await card(PIPE).locator('.pipe-sinks td[data-k="records"]', {hasText: /^420$/}).waitFor();
    check(true, 'it refreshes by itself: 420 records after 20 more lines');

    await card(PIPE).locator('[data-action="stop"]').click();
    await card(PIPE).locator('.pipe-state', {hasText: /^stopped$/}).waitFor();
    const s1 = await api('GET', `/api/pipelines/${PIPE}`);
    check(s1.json && s1.json.state === 'stopped', 'Stop: the server says stopped', s1.text);
    await page.waitForFunction((n) => !document.querySelector(`.pipe[data-name="${n}"] [data-action="start"]`).disabled, PIPE);
    check(await card(PIPE).locator('[data-action="stop"]').isDisabled(), 'then Stop is disabled and Start enabled');
    await shot(page, 'console-pipelines-stopped.png');
    await card(PIPE).locator('[data-action="start"]').click();
    await card(PIPE).locator('.pipe-state', {hasText: /^running$/}).waitFor();
    const s2 = await api('GET', `/api/pipelines/${PIPE}`);
    check(s2.json && s2.json.state === 'running', 'Start: the server says running again', s2.text);
    await send(TCP_PORT, readings(420, 425, []));
    check(await until(async () => (await sinkRecords(PIPE)) === 5), 'and it reads TCP again (5 records since the start)',
      await sinkRecords(PIPE));

    // Uploading: a bad file shows the server's 400 message (FILE:LINE: ...).
    await page.click('#new-pipeline');
    await page.fill('#pipe-name', 'aq-filter');
    const good = YAML.replace(`name: ${PIPE}`, 'name: aq-filter').replace(`:${TCP_PORT}`, `:${TCP_PORT2}`)
      .replace('aq.db', 'aq-filter.db')
      .replace('sinks:', 'stages:\n  - {type: filter, where: is_anomaly == true}\nsinks:');
    allowLoadFailure({status: 400, path: '/api/pipelines/aq-filter'});
    await page.fill('#pipe-yaml', good.replace('table: readings', 'tabel: readings'));
    await page.click('#pipe-submit');
    await page.locator('#pipe-error').waitFor({state: 'visible'});
    const err = await text(page.locator('#pipe-error-text'));
    check(/^400: \S+:\d+: .*unknown setting "tabel"/.test(err), 'a bad file shows the 400 message with FILE:LINE', err);
    check((await api('GET', '/api/pipelines/aq-filter')).status === 404, 'and is not kept');
    await shot(page, 'console-pipelines-error.png');
    allowLoadFailure(null);

    // A good one, with a filter stage, started from the form.
    await page.fill('#pipe-yaml', good);
    await page.check('#pipe-start');
    await page.click('#pipe-submit');
    await page.locator('#pipe-status.form-status-ok').waitFor();
    check(/Created pipeline aq-filter\. Started\./.test(await text(page.locator('#pipe-status'))), 'a good file is created and started',
      await text(page.locator('#pipe-status')));
    check(await page.locator('#pipe-error').isHidden(), 'the error box is gone');
    await card('aq-filter').locator('.pipe-state', {hasText: /^running$/}).waitFor();
    await send(TCP_PORT2, readings(0, 10, [3, 7]));
    const stage = card('aq-filter').locator('.pipe-stages tr[data-stage]');
    await stage.locator('td[data-k="in"]', {hasText: /^10$/}).waitFor();
    check(await text(stage.locator('td[data-k="out"]')) === '2', 'its filter stage counts in 10, out 2',
      await text(stage));
    check(await text(stage.locator('td[data-k="errors"]')) === '0', 'errors 0');
    await card('aq-filter').locator('.pipe-sinks td[data-k="records"]', {hasText: /^2$/}).waitFor();
    check(true, 'its sink 2 records');
    await shot(page, 'console-pipelines.png');

    // Replacing a running pipeline's file: 409.
    allowLoadFailure({status: 409, path: '/api/pipelines/aq-filter'});
    await page.fill('#pipe-name', 'aq-filter');
    await page.uncheck('#pipe-start');
    await page.click('#pipe-submit');
    await page.locator('#pipe-error').waitFor({state: 'visible'});
    check(/^409: .*stop it first/.test(await text(page.locator('#pipe-error-text'))), 'replacing it while it runs shows the 409',
      await text(page.locator('#pipe-error-text')));
    allowLoadFailure(null);

    // Delete (after a confirm()).
    page.once('dialog', (dlg) => dlg.accept());
    await card('aq-filter').locator('[data-action="delete"]').click();
    await card('aq-filter').waitFor({state: 'detached'});
    check((await api('GET', '/api/pipelines/aq-filter')).status === 404, 'Delete removes it on the server');
    check(await page.locator('#pipeline-list .fn-item[data-name="aq-filter"]').count() === 0, 'and from the sidebar');

    // One pipeline on its own, from the sidebar.
    await page.click(`#pipeline-list .fn-item[data-name="${PIPE}"]`);
    await page.locator('#pipes-title', {hasText: PIPE}).waitFor();
    check(await page.locator('#pipes-list .pipe').count() === 1, 'its sidebar entry shows it alone');
    check(await page.inputValue('#pipe-name') === PIPE, 'with the form ready to replace its file');
  });
  await closeContext(ctx);
}

// ---- main ---------------------------------------------------------------------------------------

const browser = await launch();
try {
  console.log(`dashboard: ${browser.version()} against ${URL_}`);
  await setup();
  await testDashboard(browser);
  await testConsole(browser);
} finally {
  await browser.close();
}
finish('dashboard');
