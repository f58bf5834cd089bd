/* The Sluice web console (served at /, see docs/api.md): lists functions and their versions,
 * deploys modules, moves aliases, invokes functions and shows their logs and stats; lists the
 * hosted pipelines with their counters (refreshed every second while shown), starts, stops,
 * deletes and uploads them. Plain JS, no build step. The management token is asked for once and kept in localStorage; a 401 asks
 * for it again. */
'use strict';

const TOKEN_KEY = 'sluice.token';
const TABS = ['versions', 'invoke', 'logs', 'stats', 'deploy'];

const state = {
  token: localStorage.getItem(TOKEN_KEY) || '',
  functions: [],
  current: null, // the selected function's name
  detail: null, // GET /api/functions/NAME of the selected function
  tab: 'versions',
  pipelines: [], // GET /api/pipelines, sorted by name
  pipe: null, // #/pipelines/NAME: the one pipeline shown (null: all)
  flash: null, // [message, kind] shown by the next view change
};

/* ---- small DOM helpers ------------------------------------------------------------------ */

const $ = (id) => document.getElementById(id);

/* el('td', {class: 'num', title: 'x'}, child, 'text', ...): builds an element without innerHTML. */
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

const short = (sha) => (sha ? sha.slice(0, 12) : '');

function fmtTime(secs) {
  if (secs === undefined || secs === null) return '';
  const d = new Date(secs * 1000);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function fmtBytes(n) {
  if (typeof n !== 'number') return '–';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024, i = 0;
  while (v >= 1024 && i < units.length - 1) v /= 1024, i++;
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

function fmtMs(v) {
  if (typeof v !== 'number') return '–';
  if (v < 1) return `${v.toFixed(3)} ms`;
  if (v < 100) return `${v.toFixed(2)} ms`;
  return `${Math.round(v)} ms`;
}

function statusClass(status) {
  if (status >= 500) return 's5';
  if (status >= 400) return 's4';
  if (status >= 300) return 's3';
  return 's2';
}

/* ---- the API ------------------------------------------------------------------------------ */

class AuthError extends Error {}
class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(method, path, opts = {}) {
  if (!state.token) {
    askToken();
    throw new AuthError('no token');
  }
  const headers = {Authorization: `Bearer ${state.token}`, ...(opts.headers || {})};
  let body = opts.body;
  if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.json);
  }
  let res;
  try {
    res = await fetch(path, {method, headers, body, cache: 'no-store'});
  } catch (e) {
    throw new ApiError(0, `cannot reach the server (${e.message})`);
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (_) {
    data = null;
  }
  if (res.status === 401) {
    askToken('The server rejected the token. Enter it again.');
    throw new AuthError('unauthorized');
  }
  if (!res.ok) {
    const msg = (data && data.error) || text.trim() || res.statusText;
    throw new ApiError(res.status, `${res.status}: ${msg}`);
  }
  return {status: res.status, data};
}

const fnPath = (name, rest = '') => `/api/functions/${encodeURIComponent(name)}${rest}`;

/* Runs an async action; API errors go to `report` (a function of the message) or the banner. */
async function guard(action, report) {
  try {
    return await action();
  } catch (e) {
    if (e instanceof AuthError) return undefined;
    const msg = e instanceof ApiError ? e.message : `unexpected error: ${e.message}`;
    if (report) report(msg);
    else banner(msg, 'error');
    return undefined;
  }
}

function banner(msg, kind = 'info') {
  const b = $('banner');
  if (!msg) {
    b.hidden = true;
    return;
  }
  b.className = `banner banner-${kind}`;
  b.textContent = msg;
  b.hidden = false;
}

/* Shows the message queued with flash() (or clears the banner): on every view change. */
function showFlash() {
  if (state.flash) banner(...state.flash);
  else banner(null);
  state.flash = null;
}

function flash(msg, kind) {
  state.flash = [msg, kind];
}

function setStatus(id, msg, kind = 'info') {
  const s = $(id);
  s.textContent = msg || '';
  s.className = `form-status ${msg ? `form-status-${kind}` : ''}`;
}

/* ---- the token ------------------------------------------------------------------------------ */

function askToken(message) {
  const dlg = $('token-dialog');
  const err = $('token-error');
  err.textContent = message || '';
  err.hidden = !message;
  $('signout').hidden = true;
  if (dlg.hidden) {
    dlg.hidden = false;
    $('token-input').value = '';
  }
  $('token-input').focus();
}

async function submitToken(ev) {
  ev.preventDefault();
  const t = $('token-input').value.trim();
  if (!t) return;
  state.token = t;
  localStorage.setItem(TOKEN_KEY, t);
  $('token-dialog').hidden = true;
  $('signout').hidden = false;
  await start();
}

function forgetToken() {
  state.token = '';
  localStorage.removeItem(TOKEN_KEY);
  state.functions = [];
  state.pipelines = [];
  renderFunctionList();
  renderPipelineList();
  askToken();
}

/* ---- the function list ---------------------------------------------------------------------- */

async function loadFunctions() {
  const r = await guard(() => api('GET', '/api/functions'));
  if (!r) return false;
  state.functions = (r.data && r.data.functions) || [];
  renderFunctionList();
  return true;
}

function renderFunctionList() {
  const ul = $('function-list');
  ul.replaceChildren();
  for (const f of state.functions) {
    const meta = f.versions
      ? `${f.versions} version${f.versions === 1 ? '' : 's'} · ${short(f.latest).slice(0, 8)}`
      : 'no versions';
    ul.append(el('li', {},
      el('a', {
        href: `#/fn/${encodeURIComponent(f.name)}`,
        class: `fn-item${f.name === state.current ? ' active' : ''}`,
        dataset: {name: f.name},
        'aria-current': f.name === state.current ? 'page' : null,
      }, el('span', {class: 'fn-item-name'}, f.name), el('span', {class: 'fn-item-meta'}, meta))));
  }
  $('function-list-empty').hidden = state.functions.length > 0 || !state.token;
}

/* ---- routing: #/fn/NAME/TAB and #/deploy ------------------------------------------------------ */

function route() {
  const h = decodeURIComponent(location.hash.replace(/^#\/?/, ''));
  const parts = h.split('/');
  if (parts[0] === 'fn' && parts[1]) {
    const tab = TABS.includes(parts[2]) ? parts[2] : 'versions';
    openFunction(parts[1], tab);
  } else if (parts[0] === 'deploy') {
    openNewDeploy();
  } else if (parts[0] === 'pipelines') {
    openPipelines(parts[1] || null);
  } else {
    state.current = null;
    state.detail = null;
    state.pipe = null;
    $('fn-view').hidden = true;
    $('deploy-view').hidden = true;
    $('pipes-view').hidden = true;
    $('welcome').hidden = false;
    showFlash();
    renderFunctionList();
  }
}

function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

/* ---- one function ---------------------------------------------------------------------------- */

async function openFunction(name, tab) {
  const changed = name !== state.current;
  state.current = name;
  showFlash();
  $('welcome').hidden = true;
  $('deploy-view').hidden = true;
  $('pipes-view').hidden = true;
  $('fn-view').hidden = false;
  state.pipe = null;
  renderFunctionList();
  renderPipelineList();
  if (changed) {
    $('fn-name').textContent = name;
    $('fn-meta').textContent = '';
    $('invoke-path').value = name;
    $('invoke-result').hidden = true;
    setStatus('invoke-status', '');
    setStatus('alias-status', '');
    $('versions-table').tBodies[0].replaceChildren();
    state.detail = null;
  }
  showTab(tab);
  if (changed || !state.detail) await loadDetail();
  if (tab === 'logs') loadLogs();
  if (tab === 'stats') loadStats();
}

async function loadDetail() {
  const name = state.current;
  const r = await guard(() => api('GET', fnPath(name)));
  if (!r || name !== state.current) return;
  state.detail = r.data;
  renderDetail();
}

function renderDetail() {
  const d = state.detail;
  const f = d.function || {};
  const versions = d.versions || [];
  $('fn-meta').textContent =
    `created ${fmtTime(f.created)} · ${versions.length} version${versions.length === 1 ? '' : 's'}` +
    (f.latest ? ` · latest ${short(f.latest)}` : '');

  const tb = $('versions-table').tBodies[0];
  tb.replaceChildren();
  for (const v of versions) {
    const c = v.config || {};
    const cfg = [c.kind, `${c.input} → ${c.output}`, `${c.timeout_ms} ms`, `${c.memory_mib} MiB`];
    if (c.keep_state) cfg.push('keep_state');
    if (c.concurrency) cfg.push(`concurrency ${c.concurrency}`);
    if (c.cors && c.cors.length) cfg.push(`cors ${c.cors.join(' ')}`);
    if (c.env && c.env.length) cfg.push(`${c.env.length} env`);
    tb.append(el('tr', {dataset: {sha: v.sha256}},
      el('td', {}, el('code', {class: 'sha', title: v.sha256}, short(v.sha256))),
      el('td', {class: 'aliases'}, (v.aliases || []).map((a) => aliasChip(a))),
      el('td', {class: 'small'}, cfg.join(' · ')),
      el('td', {class: 'num'}, fmtBytes(v.size)),
      el('td', {class: 'small nowrap'}, fmtTime(v.created))));
  }
  if (!versions.length)
    tb.append(el('tr', {}, el('td', {colspan: 5, class: 'muted'}, 'No versions yet: deploy one.')));

  const sel = $('alias-version');
  const keep = sel.value;
  sel.replaceChildren(...versions.map((v) => el('option', {value: v.sha256},
    `${short(v.sha256)}${v.aliases && v.aliases.length ? ` (${v.aliases.join(', ')})` : ''}`)));
  if (keep && versions.some((v) => v.sha256 === keep)) sel.value = keep;

  // The deploy form starts from the latest version's config; but when that module declared
  // its kind and modes (its sluice.fn section), the new one will too: leave them to it, since
  // repeating the old ones could contradict a rebuilt module.
  const latest = versions.find((v) => v.sha256 === f.latest) || versions[0];
  if (latest && latest.config) {
    const c = {...latest.config};
    if (latest.declared) c.kind = c.input = c.output = '';
    fillDeployConfig(c);
  }
}

function aliasChip(alias) {
  const chip = el('span', {class: `chip${alias === 'latest' ? ' chip-latest' : ''}`}, alias);
  if (alias !== 'latest') {
    chip.append(el('button', {
      type: 'button', class: 'chip-x', title: `Delete alias ${alias}`, 'aria-label': `Delete alias ${alias}`,
      onclick: () => deleteAlias(alias),
    }, '×'));
  }
  return chip;
}

async function deleteAlias(alias) {
  if (!confirm(`Delete alias "${alias}" of ${state.current}?`)) return;
  const r = await guard(() => api('DELETE', fnPath(state.current, `/aliases/${encodeURIComponent(alias)}`)),
    (m) => setStatus('alias-status', m, 'error'));
  if (!r) return;
  setStatus('alias-status', `Deleted alias ${alias}.`, 'ok');
  await loadDetail();
}

async function moveAlias(ev) {
  ev.preventDefault();
  const alias = $('alias-name').value.trim();
  const version = $('alias-version').value;
  if (!alias || !version) return;
  setStatus('alias-status', 'Moving…');
  const r = await guard(() => api('PUT', fnPath(state.current, `/aliases/${encodeURIComponent(alias)}`),
    {json: {version}}), (m) => setStatus('alias-status', m, 'error'));
  if (!r) return;
  setStatus('alias-status', `${r.data.alias} → ${short(r.data.version)}`, 'ok');
  await loadDetail();
  await loadFunctions();
}

async function deleteFunction() {
  const name = state.current;
  if (!name || !confirm(`Delete function "${name}" with all its versions, aliases and logs?`)) return;
  const r = await guard(() => api('DELETE', fnPath(name)));
  if (!r) return;
  await loadFunctions();
  flash(`Deleted function ${name}.`, 'ok');
  go('#/');
}

function showTab(tab) {
  state.tab = tab;
  for (const b of document.querySelectorAll('.tab')) {
    const on = b.dataset.tab === tab;
    b.classList.toggle('active', on);
    b.setAttribute('aria-selected', on ? 'true' : 'false');
  }
  for (const t of TABS) $(`tab-${t}`).hidden = t !== tab;
  if (tab === 'deploy') placeDeployForm($('tab-deploy'), state.current);
}

/* ---- invoke ---------------------------------------------------------------------------------- */

let svgUrl = null;

async function invoke(ev) {
  ev.preventDefault();
  const method = $('invoke-method').value;
  const path = $('invoke-path').value.trim().replace(/^\/+/, '');
  if (!path) return;
  const url = `/fn/${path}`;
  const opts = {method, headers: {}, cache: 'no-store'};
  if (method !== 'GET' && method !== 'HEAD') {
    opts.body = $('invoke-body').value;
    const ct = $('invoke-ctype').value.trim();
    if (ct) opts.headers['Content-Type'] = ct;
  }
  setStatus('invoke-status', 'Running…');
  $('invoke-submit').disabled = true;
  const t0 = performance.now();
  let res, bytes;
  try {
    res = await fetch(url, opts);
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (e) {
    setStatus('invoke-status', `request failed: ${e.message}`, 'error');
    return;
  } finally {
    $('invoke-submit').disabled = false;
  }
  const ms = performance.now() - t0;
  setStatus('invoke-status', '');
  showResponse(method, url, res, bytes, ms);
}

function showResponse(method, url, res, bytes, ms) {
  $('invoke-result').hidden = false;
  const st = $('invoke-result-status');
  st.textContent = `${res.status} ${res.statusText}`.trim();
  st.className = `status-badge ${statusClass(res.status)}`;
  $('invoke-result-time').textContent = `${method} ${url} · ${fmtMs(ms)} · ${fmtBytes(bytes.length)}`;

  const dl = $('invoke-result-headers');
  dl.replaceChildren();
  const shown = [];
  res.headers.forEach((v, k) => {
    if (/^x-sluice-/i.test(k) || /^(content-type|content-length|access-control-)/i.test(k)) shown.push([k, v]);
  });
  shown.sort((a, b) => a[0].localeCompare(b[0]));
  for (const [k, v] of shown) {
    const name = k.replace(/(^|-)([a-z])/g, (_, d, c) => d + c.toUpperCase());
    dl.append(el('div', {class: 'header-row', dataset: {header: k}}, el('dt', {}, name), el('dd', {}, v)));
  }

  const ct = (res.headers.get('content-type') || '').toLowerCase();
  let text = null;
  try {
    text = new TextDecoder('utf-8', {fatal: true}).decode(bytes);
  } catch (_) {
    text = null;
  }
  const body = $('invoke-result-body');
  if (text === null) {
    const hex = Array.from(bytes.slice(0, 512), (b) => b.toString(16).padStart(2, '0')).join(' ');
    body.textContent = `(${bytes.length} bytes of binary data${bytes.length > 512 ? ', the first 512 shown' : ''})\n${hex}`;
  } else if (ct.includes('json')) {
    try {
      body.textContent = JSON.stringify(JSON.parse(text), null, 2);
    } catch (_) {
      body.textContent = text;
    }
  } else {
    body.textContent = text === '' ? '(empty body)' : text;
  }

  // SVG: rendered as an image (from a blob: URL, so scripts in it cannot run).
  const view = $('invoke-result-svg');
  if (svgUrl) URL.revokeObjectURL(svgUrl);
  svgUrl = null;
  view.replaceChildren();
  const isSvg = ct.includes('image/svg') || (!ct && text && /^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(text));
  if (isSvg && text !== null) {
    svgUrl = URL.createObjectURL(new Blob([bytes], {type: 'image/svg+xml'}));
    view.append(el('img', {src: svgUrl, alt: 'SVG response'}));
    view.hidden = false;
  } else {
    view.hidden = true;
  }
}

/* ---- logs ------------------------------------------------------------------------------------ */

async function loadLogs() {
  const name = state.current;
  const limit = $('logs-limit').value;
  const r = await guard(() => api('GET', fnPath(name, `/logs?limit=${encodeURIComponent(limit)}`)));
  if (!r || name !== state.current) return;
  const logs = (r.data && r.data.logs) || [];
  const tb = $('logs-table').tBodies[0];
  tb.replaceChildren();
  for (const l of logs) {
    const err = [];
    if (l.error) err.push(el('span', {class: 'error-text'}, l.error));
    if (l.stderr) {
      err.push(el('details', {}, el('summary', {}, `stderr (${l.stderr.length} chars)`),
        el('pre', {class: 'stderr'}, l.stderr)));
    }
    tb.append(el('tr', {},
      el('td', {class: 'small nowrap'}, fmtTime(l.time)),
      el('td', {}, el('code', {}, l.request_id)),
      el('td', {}, el('code', {class: 'sha', title: l.version}, short(l.version).slice(0, 8))),
      el('td', {}, el('span', {class: `status-badge ${statusClass(l.status)}`}, l.status)),
      el('td', {}, el('span', {class: `outcome outcome-${l.outcome}`}, l.outcome)),
      el('td', {class: 'num nowrap'}, fmtMs(l.duration_ms)),
      el('td', {class: 'small'}, err)));
  }
  $('logs-empty').hidden = logs.length > 0;
  $('logs-table').hidden = logs.length === 0;
}

/* ---- stats ----------------------------------------------------------------------------------- */

async function loadStats() {
  const name = state.current;
  const r = await guard(() => api('GET', fnPath(name, '/stats')));
  if (!r || name !== state.current) return;
  const s = r.data || {};
  const errs = s.errors || {};
  const nerr = Object.values(errs).reduce((a, b) => a + (b || 0), 0);
  const d = s.duration_ms || {};
  const card = (label, value, key) => el('div', {class: 'card', dataset: {stat: key}},
    el('div', {class: 'card-value'}, value), el('div', {class: 'card-label'}, label));
  $('stats-cards').replaceChildren(
    card('invocations', s.invocations ?? 0, 'invocations'),
    card('errors', nerr, 'errors'),
    card('mean duration', fmtMs(d.mean), 'mean'),
    card('p50', fmtMs(d.p50), 'p50'),
    card('p99', fmtMs(d.p99), 'p99'),
    card('max', fmtMs(d.max), 'max'),
    card('in flight', s.in_flight ?? 0, 'in_flight'),
    card('warm instances', s.instances ?? 0, 'instances'),
    card('instance memory', fmtBytes(s.memory_bytes ?? 0), 'memory'));
  $('stats-errors').replaceChildren(...Object.entries(errs).map(([k, v]) =>
    el('span', {class: `chip${v ? ' chip-bad' : ''}`}, `${k}: ${v}`)));
}

/* ---- deploy ---------------------------------------------------------------------------------- */

let deployForm = null;

function placeDeployForm(container, name) {
  if (deployForm.parentNode !== container) container.append(deployForm);
  const n = $('deploy-name');
  if (name) {
    n.value = name;
    $('deploy-title').textContent = `Deploy a new version of ${name}`;
  } else {
    $('deploy-title').textContent = 'Deploy a module';
  }
}

// kind, input and output '' mean "from the module" (what it declares, else command/raw/raw).
function fillDeployConfig(c) {
  if (c.kind !== undefined) $('deploy-kind').value = c.kind;
  if (c.input !== undefined) $('deploy-input').value = c.input;
  if (c.output !== undefined) $('deploy-output').value = c.output;
  if (c.timeout_ms) $('deploy-timeout').value = c.timeout_ms;
  if (c.memory_mib) $('deploy-memory').value = c.memory_mib;
}

function openNewDeploy() {
  state.current = null;
  state.detail = null;
  showFlash();
  renderFunctionList();
  $('welcome').hidden = true;
  $('fn-view').hidden = true;
  $('pipes-view').hidden = true;
  $('deploy-view').hidden = false;
  state.pipe = null;
  renderPipelineList();
  placeDeployForm($('deploy-view'), null);
  $('deploy-name').value = '';
  fillDeployConfig({kind: '', input: '', output: '', timeout_ms: 10000, memory_mib: 128});
  setStatus('deploy-status', '');
  $('deploy-name').focus();
}

async function deploy(ev) {
  ev.preventDefault();
  const name = $('deploy-name').value.trim();
  const file = $('deploy-file').files[0];
  if (!name || !file) return;
  const q = new URLSearchParams();
  // Only what the user chose: the server takes the rest from the module's declaration, and
  // refuses a choice that contradicts it.
  for (const k of ['kind', 'input', 'output']) {
    const val = $(`deploy-${k}`).value;
    if (val) q.set(k, val);
  }
  q.set('filename', file.name);
  if ($('deploy-timeout').value) q.set('timeout_ms', $('deploy-timeout').value);
  if ($('deploy-memory').value) q.set('memory_mib', $('deploy-memory').value);
  const alias = $('deploy-alias').value.trim();
  if (alias) q.set('alias', alias);
  setStatus('deploy-status', `Uploading ${file.name} (${fmtBytes(file.size)})…`);
  $('deploy-submit').disabled = true;
  try {
    const body = await file.arrayBuffer();
    const r = await guard(() => api('POST', fnPath(name, `/versions?${q}`),
      {body, headers: {'Content-Type': 'application/wasm'}}), (m) => setStatus('deploy-status', m, 'error'));
    if (!r) return;
    const v = r.data || {};
    const msg = r.status === 201
      ? `Deployed ${name}: new version ${short(v.sha256)}${alias ? ` (alias ${alias})` : ''}.`
      : `${name}: this module and config are version ${short(v.sha256)} already.`;
    setStatus('deploy-status', '');
    $('deploy-file').value = '';
    await loadFunctions();
    state.detail = null;
    state.current = null; // reload the detail view
    flash(msg, 'ok');
    go(`#/fn/${encodeURIComponent(name)}/versions`);
  } finally {
    $('deploy-submit').disabled = false;
  }
}

/* ---- pipelines: #/pipelines and #/pipelines/NAME ---------------------------------------------- */

const pipePath = (name, rest = '') => `/api/pipelines/${encodeURIComponent(name)}${rest}`;
const fmtCount = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : '–');
let pipePolling = false;

async function loadPipelines(quiet) {
  const r = await guard(() => api('GET', '/api/pipelines'), quiet ? (m) => setLive(m, 'error') : undefined);
  if (!r) return false;
  state.pipelines = ((r.data && r.data.pipelines) || []).slice().sort((a, b) => a.name.localeCompare(b.name));
  renderPipelineList();
  if (!$('pipes-view').hidden) {
    renderPipelines();
    setLive(`live · updated ${new Date().toLocaleTimeString()}`, 'ok');
  }
  return true;
}

/* Every second while the pipelines view is shown (and the tab visible, and signed in). */
async function pollPipelines() {
  if (pipePolling || document.hidden || $('pipes-view').hidden || !state.token || !$('token-dialog').hidden) return;
  pipePolling = true;
  try {
    await loadPipelines(true);
  } finally {
    pipePolling = false;
  }
}

function setLive(msg, kind) {
  const s = $('pipes-live');
  s.textContent = msg || '';
  s.className = `live-status${kind ? ` live-${kind}` : ''}`;
}

function renderPipelineList() {
  const ul = $('pipeline-list');
  ul.replaceChildren();
  for (const p of state.pipelines) {
    const sinks = (p.stats && p.stats.sinks) || [];
    const recs = sinks.length ? ` · ${fmtCount(sinks[0].records)} records` : '';
    const on = !$('pipes-view').hidden && state.pipe === p.name;
    ul.append(el('li', {},
      el('a', {
        href: `#/pipelines/${encodeURIComponent(p.name)}`,
        class: `fn-item${on ? ' active' : ''}`,
        dataset: {name: p.name},
        'aria-current': on ? 'page' : null,
      }, el('span', {class: 'fn-item-name'}, el('i', {class: `state-dot state-${p.state}`}), p.name),
      el('span', {class: 'fn-item-meta'}, `${p.state}${recs}`))));
  }
  $('pipeline-list-empty').hidden = state.pipelines.length > 0 || !state.token;
  $('pipelines-link').classList.toggle('active', !$('pipes-view').hidden && !state.pipe);
}

function openPipelines(name) {
  const changed = name !== state.pipe || $('pipes-view').hidden;
  state.current = null;
  state.detail = null;
  state.pipe = name;
  showFlash();
  $('welcome').hidden = true;
  $('fn-view').hidden = true;
  $('deploy-view').hidden = true;
  $('pipes-view').hidden = false;
  renderFunctionList();
  $('pipes-title').textContent = name || 'Pipelines';
  $('pipe-form-title').textContent = name ? `Replace the file of ${name}` : 'Upload a pipeline';
  if (changed) {
    $('pipes-list').replaceChildren();
    $('pipe-name').value = name || '';
    $('pipe-error').hidden = true;
    setStatus('pipe-status', '');
  }
  renderPipelines();
  renderPipelineList();
  loadPipelines(true);
  if (state.focusUpload) {
    state.focusUpload = false;
    $('pipe-form').scrollIntoView({block: 'start'});
    $('pipe-name').focus();
  }
}

/* The panels are kept (keyed by name) and updated in place, so that the buttons in them stay
 * clickable while the counters change every second. */
function renderPipelines() {
  const list = $('pipes-list');
  const shown = state.pipe ? state.pipelines.filter((p) => p.name === state.pipe) : state.pipelines;
  const keep = new Set(shown.map((p) => p.name));
  for (const card of [...list.children]) if (!keep.has(card.dataset.name)) card.remove();
  shown.forEach((p, i) => {
    let card = list.querySelector(`.pipe[data-name="${CSS.escape(p.name)}"]`);
    if (!card) card = pipeCard(p.name);
    if (list.children[i] !== card) list.insertBefore(card, list.children[i] || null);
    updatePipeCard(card, p);
  });
  const empty = $('pipes-empty');
  empty.hidden = shown.length > 0;
  empty.textContent = state.pipe
    ? `There is no pipeline named ${state.pipe}: upload its file below.`
    : 'No pipelines yet: upload a pipeline file below.';
  const running = state.pipelines.filter((p) => p.state === 'running').length;
  $('pipes-meta').textContent = state.pipe
    ? 'Counters since the pipeline was started; refreshed every second.'
    : `${state.pipelines.length} pipeline${state.pipelines.length === 1 ? '' : 's'}, ${running} running; ` +
      'counters since each was started, refreshed every second.';
}

function pipeCard(name) {
  const sub = (cls) => el('div', {class: cls});
  const card = el('article', {class: 'panel pipe', dataset: {name}},
    el('div', {class: 'pipe-head'},
      el('div', {class: 'pipe-title'},
        el('h2', {}, el('a', {href: `#/pipelines/${encodeURIComponent(name)}`}, name)),
        el('span', {class: 'pipe-state', dataset: {field: 'state'}})),
      el('div', {class: 'pipe-actions'},
        el('span', {class: 'form-status', dataset: {field: 'status'}, role: 'status'}),
        el('a', {class: 'btn btn-ghost', href: `/dashboard?pipeline=${encodeURIComponent(name)}`,
          target: '_blank', rel: 'noopener'}, 'Dashboard'),
        el('button', {type: 'button', class: 'btn', dataset: {action: 'start'}}, 'Start'),
        el('button', {type: 'button', class: 'btn', dataset: {action: 'stop'}}, 'Stop'),
        el('button', {type: 'button', class: 'btn btn-danger-ghost', dataset: {action: 'delete'}}, 'Delete'))),
    el('p', {class: 'error-text pipe-error', dataset: {field: 'error'}, hidden: true}),
    el('p', {class: 'muted small', dataset: {field: 'nostats'}, hidden: true},
      'Not running: its counters start again from zero when it is started.'),
    el('div', {class: 'pipe-body', dataset: {field: 'body'}},
      sub('cards pipe-cards'),
      el('div', {class: 'pipe-tables'},
        el('div', {},
          el('h4', {}, 'Stages'),
          el('table', {class: 'table pipe-stages'},
            el('thead', {}, el('tr', {}, ['Stage', 'Type'].map((h) => el('th', {}, h)),
              ['In', 'Out', 'Errors', 'Busy'].map((h) => el('th', {class: 'num'}, h)))),
            el('tbody'))),
        el('div', {},
          el('h4', {}, 'Sinks'),
          el('table', {class: 'table pipe-sinks'},
            el('thead', {}, el('tr', {}, ['Sink', 'Type'].map((h) => el('th', {}, h)),
              ['Records', 'Batches', 'Retries', 'Failures'].map((h) => el('th', {class: 'num'}, h)),
              el('th', {}, 'Last error'))),
            el('tbody'))))));
  return card;
}

function updatePipeCard(card, p) {
  const f = (name) => card.querySelector(`[data-field="${name}"]`);
  const st = f('state');
  st.textContent = p.state;
  st.className = `pipe-state state-${p.state}`;
  card.dataset.state = p.state;
  const err = f('error');
  err.textContent = p.error || '';
  err.hidden = !p.error;
  const busy = card.dataset.busy === '1';
  const running = p.state === 'running';
  card.querySelector('[data-action="start"]').disabled = busy || running;
  card.querySelector('[data-action="stop"]').disabled = busy || !(running || p.state === 'finished');
  card.querySelector('[data-action="delete"]').disabled = busy;

  const s = p.stats;
  f('nostats').hidden = !!s;
  f('body').hidden = !s;
  if (!s) return;
  const src = s.source || {};
  const q = s.queues || {};
  const stat = (label, value, key, bad) => el('div', {class: `card${bad ? ' card-bad' : ''}`, dataset: {stat: key}},
    el('div', {class: 'card-value'}, value), el('div', {class: 'card-label'}, label));
  card.querySelector('.pipe-cards').replaceChildren(
    stat(`source (${src.type || '?'}) records`, fmtCount(src.records), 'source'),
    stat('bad input', fmtCount(src.bad), 'bad', src.bad > 0),
    stat('queue in', fmtCount(q.in), 'queue_in'),
    stat('queue out', fmtCount(q.out), 'queue_out'),
    stat('dead letters', fmtCount(s.dead_letters), 'dead_letters', s.dead_letters > 0),
    stat('committed position', fmtCount(s.committed), 'committed'));
  const stages = s.stages || [];
  card.querySelector('.pipe-stages tbody').replaceChildren(...(stages.length ? stages.map((g) =>
    el('tr', {dataset: {stage: g.name}},
      el('td', {}, el('code', {}, g.name)),
      el('td', {}, g.type),
      el('td', {class: 'num', dataset: {k: 'in'}}, fmtCount(g.in)),
      el('td', {class: 'num', dataset: {k: 'out'}}, fmtCount(g.out)),
      el('td', {class: `num${g.errors ? ' error-text' : ''}`, dataset: {k: 'errors'}}, fmtCount(g.errors)),
      el('td', {class: 'num nowrap', dataset: {k: 'busy'}}, fmtMs(g.busy_ms)))) :
    [el('tr', {}, el('td', {colspan: 6, class: 'muted small'}, 'No stages: records go from the parser to the sinks.'))]));
  card.querySelector('.pipe-sinks tbody').replaceChildren(...(s.sinks || []).map((k) =>
    el('tr', {dataset: {sink: k.name}},
      el('td', {}, el('code', {}, k.name)),
      el('td', {}, k.type),
      el('td', {class: 'num', dataset: {k: 'records'}}, fmtCount(k.records)),
      el('td', {class: 'num', dataset: {k: 'batches'}}, fmtCount(k.batches)),
      el('td', {class: `num${k.retries ? ' warn-text' : ''}`, dataset: {k: 'retries'}}, fmtCount(k.retries)),
      el('td', {class: `num${k.failures ? ' error-text' : ''}`, dataset: {k: 'failures'}}, fmtCount(k.failures)),
      el('td', {class: 'small error-text', dataset: {k: 'last_error'}}, k.last_error || ''))));
}

/* Start, Stop and Delete (one click handler for all the panels). */
async function pipelineAction(ev) {
  const b = ev.target.closest('button[data-action]');
  if (!b) return;
  const card = b.closest('.pipe');
  const name = card.dataset.name;
  const action = b.dataset.action;
  if (action === 'delete' && !confirm(`Delete pipeline "${name}"? It is stopped and its file removed ` +
      '(what its sinks wrote stays).')) return;
  const status = card.querySelector('[data-field="status"]');
  const say = (msg, kind = 'info') => {
    status.textContent = msg;
    status.className = `form-status${msg ? ` form-status-${kind}` : ''}`;
  };
  say({start: 'Starting…', stop: 'Stopping (committing what was read)…', delete: 'Deleting…'}[action]);
  card.dataset.busy = '1';
  for (const x of card.querySelectorAll('button[data-action]')) x.disabled = true;
  try {
    const r = await guard(() => action === 'delete'
      ? api('DELETE', pipePath(name))
      : api('POST', pipePath(name, `/${action}`)), (m) => say(m, 'error'));
    if (!r) return;
    say(action === 'start' ? 'Started.' : action === 'stop' ? 'Stopped.' : '', 'ok');
    setTimeout(() => {
      if (status.classList.contains('form-status-ok')) say('');
    }, 4000);
    if (action === 'delete') {
      flash(`Deleted pipeline ${name}.`, 'ok');
      state.pipelines = state.pipelines.filter((p) => p.name !== name);
      if (state.pipe === name) go('#/pipelines');
      else showFlash();
    } else if (r.data && r.data.name) {
      state.pipelines = state.pipelines.map((p) => (p.name === name ? r.data : p));
    }
  } finally {
    delete card.dataset.busy;
    renderPipelines();
    renderPipelineList();
    loadPipelines(true);
  }
}

async function loadPipelineFile() {
  const file = $('pipe-file').files[0];
  if (!file) return;
  $('pipe-yaml').value = await file.text();
  if (!$('pipe-name').value.trim()) {
    const m = /^\s*name:\s*["']?([a-z0-9][a-z0-9_-]{0,62})["']?\s*$/m.exec($('pipe-yaml').value);
    $('pipe-name').value = m ? m[1] : file.name.replace(/\.ya?ml$/i, '').toLowerCase();
  }
}

async function uploadPipeline(ev) {
  ev.preventDefault();
  const name = $('pipe-name').value.trim();
  const yaml = $('pipe-yaml').value;
  if (!name || !yaml.trim()) return;
  const errBox = $('pipe-error');
  errBox.hidden = true;
  setStatus('pipe-status', 'Uploading…');
  $('pipe-submit').disabled = true;
  try {
    let failed = null;
    const r = await guard(() => api('PUT', pipePath(name), {body: yaml, headers: {'Content-Type': 'application/yaml'}}),
      (m) => {
        failed = m;
      });
    if (!r) {
      setStatus('pipe-status', '');
      if (failed) {
        $('pipe-error-text').textContent = failed;
        errBox.hidden = false;
      }
      return;
    }
    let msg = `${r.status === 201 ? 'Created' : 'Replaced'} pipeline ${name}.`;
    if ($('pipe-start').checked) {
      const s = await guard(() => api('POST', pipePath(name, '/start')), (m) => {
        msg += ` Starting it failed: ${m}`;
      });
      if (s) msg += ' Started.';
    }
    setStatus('pipe-status', msg, /failed/.test(msg) ? 'error' : 'ok');
    $('pipe-file').value = '';
    await loadPipelines(true);
    if (state.pipe && state.pipe !== name) go(`#/pipelines/${encodeURIComponent(name)}`);
  } finally {
    $('pipe-submit').disabled = false;
  }
}

/* ---- start ----------------------------------------------------------------------------------- */

async function start() {
  if (!state.token) {
    askToken();
    return;
  }
  $('signout').hidden = false;
  if (await loadFunctions()) {
    await loadPipelines(true);
    state.detail = null;
    route();
  }
}

function init() {
  deployForm = $('deploy-template').content.firstElementChild.cloneNode(true);
  $('deploy-view').append(deployForm);
  $('token-form').addEventListener('submit', submitToken);
  $('signout').addEventListener('click', forgetToken);
  $('refresh-functions').addEventListener('click', async () => {
    await loadFunctions();
    if (state.current) await loadDetail();
  });
  $('new-deploy').addEventListener('click', () => go('#/deploy'));
  $('delete-function').addEventListener('click', deleteFunction);
  for (const b of document.querySelectorAll('.tab')) {
    b.addEventListener('click', () => go(`#/fn/${encodeURIComponent(state.current)}/${b.dataset.tab}`));
  }
  $('alias-form').addEventListener('submit', moveAlias);
  $('invoke-form').addEventListener('submit', invoke);
  $('invoke-method').addEventListener('change', () => {
    const m = $('invoke-method').value;
    $('invoke-body').disabled = m === 'GET';
  });
  $('logs-refresh').addEventListener('click', loadLogs);
  $('logs-limit').addEventListener('change', loadLogs);
  $('stats-refresh').addEventListener('click', loadStats);
  deployForm.addEventListener('submit', deploy);
  $('refresh-pipelines').addEventListener('click', () => loadPipelines());
  $('new-pipeline').addEventListener('click', () => {
    state.focusUpload = true;
    go('#/pipelines');
  });
  $('pipe-form').addEventListener('submit', uploadPipeline);
  $('pipe-file').addEventListener('change', loadPipelineFile);
  $('pipes-list').addEventListener('click', pipelineAction);
  setInterval(pollPipelines, 1000);
  document.addEventListener('visibilitychange', pollPipelines);
  window.addEventListener('hashchange', () => {
    if (state.token) route();
  });
  start();
}

init();
