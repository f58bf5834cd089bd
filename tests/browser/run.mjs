// Browser tests of the web console (/) and the PCA page (/pca), with Debian's chromium driven by
// playwright-core. Run by tests/browser/run.sh, which starts the server and deploys hello, echo
// (event input, integration output) and pca (the same) first. Environment:
//   SLUICE_URL    the server, e.g. http://127.0.0.1:8080
//   SLUICE_TOKEN  the management token
//   SLUICE_BUILD  the build folder: functions/echo.wasm is uploaded from it, screenshots go to
//                 SLUICE_BUILD/browser/
//   CHROMIUM      the browser (default /usr/bin/chromium)
// Prints one line per check and ends with `browser: N passed, N failed`; exits 1 on a failure.
import fs from 'node:fs';
import path from 'node:path';
import {allowLoadFailure, check, finish, group, launch, must, setOutput, shot, text, watch}
  from './harness.mjs';

const URL_ = (process.env.SLUICE_URL || '').replace(/\/+$/, '');
const TOKEN = process.env.SLUICE_TOKEN || '';
const BUILD = process.env.SLUICE_BUILD || '';
if (!URL_ || !TOKEN || !BUILD) {
  console.error('browser: set SLUICE_URL, SLUICE_TOKEN and SLUICE_BUILD (tests/browser/run.sh does)');
  process.exit(2);
}
const OUT = path.join(BUILD, 'browser');
const ECHO_WASM = path.join(BUILD, 'functions', 'echo.wasm');
fs.mkdirSync(OUT, {recursive: true});
setOutput(OUT);
const TIMEOUT = Number(process.env.BROWSER_TIMEOUT_MS || 15000);

// The management API, from node (to compare what the console shows with the server's state).
async function api(method, p, body) {
  const r = await fetch(URL_ + p, {
    method,
    headers: {Authorization: `Bearer ${TOKEN}`, ...(body ? {'Content-Type': 'application/json'} : {})},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch (_) { /* not JSON */ }
  return {status: r.status, json, text};
}


// Clicks a function in the console's list and waits for its detail view.
async function selectFn(page, name) {
  await page.click(`#function-list .fn-item[data-name="${name}"]`);
  await page.locator('#fn-name', {hasText: new RegExp(`^${name}$`)}).waitFor();
  await page.locator('#fn-meta', {hasText: 'version'}).waitFor();
}

// ---- the console ----------------------------------------------------------------------------

async function testConsole(browser) {
  const ctx = await browser.newContext({viewport: {width: 1280, height: 860}});
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  watch(page, 'console');
  const apiBeforeLogin = [];
  let loggedIn = false;
  page.on('request', (r) => {
    if (!loggedIn && new URL(r.url()).pathname.startsWith('/api/') && !r.headers().authorization)
      apiBeforeLogin.push(r.url());
  });

  await group('console: token', page, async () => {
    const res = await page.goto(`${URL_}/`);
    must(res && res.status() === 200, 'GET / answers 200', res && res.status());
    must((await page.title()).includes('Sluice'), 'the console page loads', await page.title());
    await page.locator('#token-dialog').waitFor({state: 'visible'});
    check(await page.locator('#token-input').isVisible(), 'it asks for the token');
    check((await page.locator('#function-list .fn-item').count()) === 0, 'no functions listed before the token');
    check(apiBeforeLogin.length === 0, 'no API request without the token', apiBeforeLogin.join(' '));
    await shot(page, 'console-token.png');

    // A wrong token: the 401 makes it ask again, with a message.
    allowLoadFailure({status: 401, path: '/api/'});
    await page.fill('#token-input', 'f'.repeat(64));
    await page.click('#token-submit');
    await page.locator('#token-error').waitFor({state: 'visible'});
    check(await page.locator('#token-dialog').isVisible(), 'a wrong token (401) asks for the token again');
    check(/reject/i.test(await text(page.locator('#token-error'))), 'with a message saying it was rejected',
      await text(page.locator('#token-error')));
    allowLoadFailure(null);

    await page.fill('#token-input', TOKEN);
    await page.click('#token-submit');
    loggedIn = true;
    await page.locator('#token-dialog').waitFor({state: 'hidden'});
    await page.locator('#function-list .fn-item[data-name="pca"]').waitFor();
    const names = await page.locator('#function-list .fn-item').evaluateAll((els) => els.map((e) => e.dataset.name));
    must(['echo', 'hello', 'pca'].every((n) => names.includes(n)), 'the list shows hello, echo and pca', names.join(' '));
    check(JSON.stringify(names) === JSON.stringify([...names].sort()), 'sorted by name', names.join(' '));
    const meta = await text(page.locator('.fn-item[data-name="hello"] .fn-item-meta'));
    check(/^1 version/.test(meta), 'each with its version count', meta);
    check(await page.evaluate(() => localStorage.getItem('sluice.token')) === TOKEN, 'the token is kept in localStorage');

    await page.reload();
    await page.locator('#function-list .fn-item[data-name="pca"]').waitFor();
    check(await page.locator('#token-dialog').isHidden(), 'after a reload it does not ask again');
  });

  let sha = null;
  await group('console: deploy', page, async () => {
    must(fs.existsSync(ECHO_WASM), `${ECHO_WASM} exists`);
    await page.click('#new-deploy');
    await page.locator('#deploy-form').waitFor({state: 'visible'});
    await page.fill('#deploy-name', 'echo2');
    await page.setInputFiles('#deploy-file', ECHO_WASM);
    // kind and modes start as "from the module": echo declares event in, integration out
    for (const k of ['kind', 'input', 'output'])
      check(await page.inputValue(`#deploy-${k}`) === '', `the form's ${k} starts as "from the module"`,
        await page.inputValue(`#deploy-${k}`));
    await page.fill('#deploy-timeout', '5000');
    await page.fill('#deploy-memory', '64');
    await shot(page, 'console-deploy.png');
    await page.click('#deploy-submit');
    const item = page.locator('#function-list .fn-item[data-name="echo2"]');
    await item.waitFor();
    check(true, 'echo2 appears in the function list after the upload');
    check(/^1 version/.test(await text(item.locator('.fn-item-meta'))), 'with one version',
      await text(item.locator('.fn-item-meta')));
    await page.locator('#banner.banner-ok').waitFor();
    check(/deployed echo2/i.test(await text(page.locator('#banner'))), 'a message confirms the deployment',
      await text(page.locator('#banner')));
    await page.locator('#versions-table tbody tr[data-sha]').first().waitFor();
    const rows = page.locator('#versions-table tbody tr[data-sha]');
    must((await rows.count()) === 1, 'the Versions tab lists one version', await rows.count());
    sha = await rows.first().getAttribute('data-sha');

    const r = await api('GET', '/api/functions/echo2');
    must(r.status === 200, 'GET /api/functions/echo2 finds it', `${r.status} ${r.text}`);
    const v = r.json.versions[0];
    check(v.sha256 === sha, 'the listed version is the server\'s', `${sha} vs ${v.sha256}`);
    check(v.size === fs.statSync(ECHO_WASM).size, 'the whole file was uploaded', `${v.size} bytes`);
    const c = v.config;
    check(c.kind === 'command' && c.input === 'event' && c.output === 'integration' &&
      c.timeout_ms === 5000 && c.memory_mib === 64, 'with the config from the form and the modes from the module',
      JSON.stringify(c));
    check(v.declared && v.declared.input === 'event', 'the version shows what the module declares',
      JSON.stringify(v.declared));
    check((await text(rows.first())).includes('latest'), 'the version has the alias latest');

    // a choice that contradicts the module's declaration is refused, with the server's reason
    await page.click('#new-deploy');
    await page.locator('#deploy-form').waitFor({state: 'visible'});
    await page.fill('#deploy-name', 'echo3');
    await page.setInputFiles('#deploy-file', ECHO_WASM);
    await page.selectOption('#deploy-input', 'raw');
    allowLoadFailure({status: 400, path: '/api/functions/echo3/versions'});
    await page.click('#deploy-submit');
    await page.locator('#deploy-status', {hasText: 'declares'}).waitFor();
    allowLoadFailure(null);
    check(/echo\.wasm declares kind "command", input "event"/.test(await text(page.locator('#deploy-status'))),
      'a contradicting input shows what the module declares', await text(page.locator('#deploy-status')));
    check((await api('GET', '/api/functions/echo3')).status === 404, 'and nothing is deployed');
    // back to echo2, where the next steps work
    await page.click('#function-list .fn-item[data-name="echo2"]');
    await page.locator('#versions-table tbody tr[data-sha]').first().waitFor();
  });

  await group('console: alias', page, async () => {
    must(sha, 'a version to point at');
    await page.fill('#alias-name', 'prod');
    await page.selectOption('#alias-version', sha);
    await page.click('#alias-form button[type="submit"]');
    await page.locator('#alias-status.form-status-ok').waitFor();
    await page.locator('#versions-table tbody tr[data-sha] .chip', {hasText: 'prod'}).waitFor();
    check(true, 'moving an alias shows it on the version');
    await shot(page, 'console-versions.png');
    const r = await api('GET', '/api/functions/echo2');
    check(r.json && r.json.aliases && r.json.aliases.prod === sha, 'the server has prod -> the version',
      JSON.stringify(r.json && r.json.aliases));

    // And deleting it again (the × on the chip, after a confirm()).
    await page.fill('#alias-name', 'tmp');
    await page.click('#alias-form button[type="submit"]');
    const tmp = page.locator('#versions-table tbody tr[data-sha] .chip', {hasText: 'tmp'});
    await tmp.waitFor();
    page.once('dialog', (d) => d.accept());
    await tmp.locator('.chip-x').click();
    await tmp.waitFor({state: 'detached'});
    const r2 = await api('GET', '/api/functions/echo2');
    check(r2.json && r2.json.aliases && !('tmp' in r2.json.aliases) && r2.json.aliases.prod === sha,
      'deleting an alias from its chip removes it on the server', JSON.stringify(r2.json && r2.json.aliases));
  });

  await group('console: invoke', page, async () => {
    await page.click('.tab[data-tab="invoke"]');
    await page.locator('#invoke-form').waitFor({state: 'visible'});
    check(await page.inputValue('#invoke-path') === 'echo2', 'the invoke URL starts as the function\'s name',
      await page.inputValue('#invoke-path'));
    await page.fill('#invoke-path', 'echo2@prod/some/path?x=1');
    await page.selectOption('#invoke-method', 'POST');
    const body = 'hello from the browser: "quotes", ünïcode ✓';
    await page.fill('#invoke-body', '');
    await page.locator('#invoke-body').pressSequentially(body);
    await page.click('#invoke-submit');
    await page.locator('#invoke-result').waitFor({state: 'visible'});
    const status = await text(page.locator('#invoke-result-status'));
    must(/^200\b/.test(status), 'the response status is shown: 200', status);
    const hdr = async (h) => text(page.locator(`#invoke-result-headers [data-header="${h}"] dd`));
    check(await hdr('x-sluice-function') === 'echo2', 'X-Sluice-Function is shown', await hdr('x-sluice-function'));
    check(await hdr('x-sluice-version') === sha, 'X-Sluice-Version is the prod version', await hdr('x-sluice-version'));
    check(/^[0-9a-f]+$/.test(await hdr('x-sluice-request-id')), 'X-Sluice-Request-Id is shown', await hdr('x-sluice-request-id'));
    const shown = await text(page.locator('#invoke-result-body'));
    let ev = null;
    try {
      ev = JSON.parse(shown);
    } catch (_) { /* checked below */ }
    must(ev !== null, 'the body is shown (the event echo2 got, as JSON)', shown.slice(0, 200));
    check(ev.body === body, 'the event has the typed body', JSON.stringify(ev.body));
    check(ev.httpMethod === 'POST', 'and the method', ev.httpMethod);
    check(ev.pathParameters && ev.pathParameters.proxy === 'some/path', 'and the path', JSON.stringify(ev.pathParameters));
    check(ev.queryStringParameters && ev.queryStringParameters.x === '1', 'and the query', JSON.stringify(ev.queryStringParameters));
    await shot(page, 'console.png');

    // An SVG answer is rendered too.
    await selectFn(page, 'pca');
    await page.click('.tab[data-tab="invoke"]');
    await page.locator('#invoke-path').waitFor({state: 'visible'});
    check(await page.inputValue('#invoke-path') === 'pca', 'selecting pca sets the invoke URL', await page.inputValue('#invoke-path'));
    await page.fill('#invoke-body', '1,2, 2,3.5, 3,3, 4,5.5, 5,5');
    await page.click('#invoke-submit');
    await page.locator('#invoke-result-svg img').waitFor({state: 'visible'});
    const w = await page.locator('#invoke-result-svg img').evaluate(async (img) => {
      await img.decode();
      return img.naturalWidth;
    });
    check(w > 0, 'an SVG response is rendered as an image', `naturalWidth ${w}`);
    check(/^200\b/.test(await text(page.locator('#invoke-result-status'))), 'pca answers 200');
    check((await text(page.locator('#invoke-result-body'))).includes('class="point"'), 'and its SVG source is shown');
    await shot(page, 'console-svg.png');
  });

  await group('console: logs and stats', page, async () => {
    await selectFn(page, 'echo2');
    await page.click('.tab[data-tab="logs"]');
    await page.locator('#logs-table tbody tr').first().waitFor();
    const rows = await page.locator('#logs-table tbody tr').count();
    check(rows === 1, 'the Logs tab lists echo2\'s one invocation', rows);
    const row = await text(page.locator('#logs-table tbody tr').first());
    check(row.includes('200') && row.includes('ok'), 'with status 200 and outcome ok', row);
    await shot(page, 'console-logs.png');
    await page.click('.tab[data-tab="stats"]');
    await page.locator('#stats-cards [data-stat="invocations"]').waitFor();
    const n = await text(page.locator('#stats-cards [data-stat="invocations"] .card-value'));
    check(n === '1', 'the Stats tab counts 1 invocation', n);
    const e = await text(page.locator('#stats-cards [data-stat="errors"] .card-value'));
    check(e === '0', 'and 0 errors', e);
    await shot(page, 'console-stats.png');
  });

  await ctx.close();
}

// ---- the PCA page ---------------------------------------------------------------------------

function countPairs(s) {
  const vals = s.split(',').map((v) => v.trim()).filter((v) => v !== '');
  return vals.length / 2;
}

async function testPca(browser) {
  const ctx = await browser.newContext({viewport: {width: 1280, height: 900}});
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  watch(page, 'pca');
  const apiCalls = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.startsWith('/api/')) apiCalls.push(r.url());
  });

  await group('pca page', page, async () => {
    const res = await page.goto(`${URL_}/pca`);
    must(res && res.status() === 200, 'GET /pca answers 200', res && res.status());
    const data = await page.inputValue('#points');
    const n = countPairs(data);
    check(n === 150, 'the textarea holds the 150 iris points', n);
    const first = data.split(',').slice(0, 2).map(Number);
    check(first[0] === 5.1 && first[1] === 3.5, 'sepal length and width (as tests/functions/run.py)', first.join(','));
    await page.click('#run');
    await page.locator('#plot svg').waitFor();
    const points = await page.locator('#plot svg circle.point').count();
    check(points === n, 'the SVG has one circle.point per input point', `${points} for ${n} points`);
    check((await page.locator('#plot svg circle.mean').count()) === 1, 'and the mean');
    check((await page.locator('#plot svg line.eigenvector').count()) === 2, 'and two eigenvector lines');
    const box = await page.locator('#plot svg').boundingBox();
    check(box && box.width > 200 && box.height > 200, 'the plot is shown inline, visibly', JSON.stringify(box));
    await page.locator('#numbers').waitFor({state: 'visible'});
    check((await text(page.locator('#numbers'))).includes('150'), 'the numbers (?format=json) are shown too');
    await shot(page, 'pca.png');

    // The petal columns, and a smaller hand-typed set.
    await page.selectOption('#dataset', 'petal');
    const petal = countPairs(await page.inputValue('#points'));
    await page.click('#run');
    await page.locator('#plot svg title', {hasText: `PCA of ${petal} points`}).waitFor({state: 'attached'});
    check((await page.locator('#plot svg circle.point').count()) === petal, 'petal data: one circle per point', petal);
    await page.fill('#points', '0,0, 1,1, 2,2.5, 3,2.9');
    await page.click('#run');
    await page.locator('#plot svg title', {hasText: 'PCA of 4 points'}).waitFor({state: 'attached'});
    check((await page.locator('#plot svg circle.point').count()) === 4, 'typed data: 4 points, 4 circles');

    // Bad input: the function's 400 and its message.
    allowLoadFailure({status: 400, path: '/fn/pca'});
    for (const [bad, msg] of [['1,2,abc,4', 'pca: value 3 is not a finite decimal number: "abc"'],
      ['1,2,3', 'pca: odd number of values (3)'], ['1,2', 'pca: need at least 2 points, got 1']]) {
      await page.fill('#points', bad);
      await page.click('#run');
      await page.locator('#pca-error').waitFor({state: 'visible'});
      const shown = await text(page.locator('#pca-error'));
      check(shown.includes('400') && shown.includes(msg), `bad input ${JSON.stringify(bad)} shows the 400 message`, shown);
      check((await page.locator('#plot svg').count()) === 0, '  and no plot');
      if (bad === '1,2,abc,4') await shot(page, 'pca-error.png');
      // Back to a good answer, so the next error is a new one.
      await page.fill('#points', '0,0,1,1');
      await page.click('#run');
      await page.locator('#plot svg').waitFor();
    }
    allowLoadFailure(null);
    check(apiCalls.length === 0, 'the PCA page makes no /api/ request (no token)', apiCalls.join(' '));
  });
  await ctx.close();
}

// ---- main -----------------------------------------------------------------------------------

const browser = await launch();
try {
  console.log(`browser: ${browser.version()} against ${URL_}`);
  await testPca(browser);
  await testConsole(browser);
} finally {
  await browser.close();
}
finish('browser');
