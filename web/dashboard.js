/* The Sluice pipeline dashboard (served at /dashboard, see docs/api.md): plots one numeric field
 * of a pipeline's first sqlite sink against its timestamps, live, with the anomalous records
 * marked. Plain JS and SVG, no build step.
 *
 *   /dashboard?pipeline=NAME        default air-quality
 *     &field=air_quality            the series plotted
 *     &time=timestamp               the x axis (ISO 8601 strings, or numbers of seconds)
 *     &flag=is_anomaly              records where it is true (1 or true) are marked red
 *     &points=2000                  how many of the newest records are kept
 *
 * Every second it asks GET /api/pipelines/NAME/records?after=LAST&limit=5000 for the rows added
 * since the last answer (again at once while answers come back full), and GET
 * /api/pipelines/NAME for the state and counters. The management token is the console's: the
 * same localStorage key, asked for when missing or rejected. */
'use strict';

const TOKEN_KEY = 'sluice.token';
const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const LIMIT = 5000;
const POLL_MS = 1000;
const SVG_NS = 'http://www.w3.org/2000/svg';

const params = new URLSearchParams(location.search);
const NAME = params.get('pipeline') || 'air-quality';
const FIELD = params.get('field') || 'air_quality';
const TIME = params.get('time') || 'timestamp';
const FLAG = params.get('flag') || 'is_anomaly';
const WINDOW = Math.min(100000, Math.max(10, parseInt(params.get('points'), 10) || 2000));

const state = {
  token: localStorage.getItem(TOKEN_KEY) || '',
  last: 0, // the rowid of the newest row read
  received: 0, // rows read since the page was opened
  points: [], // the newest WINDOW rows, in rowid order: {t (ms), v, a (anomaly), ts (as sent), row}
  pipeline: null, // GET /api/pipelines/NAME
  timer: null,
  polling: false,
  dirty: true,
};

/* ---- small helpers ---------------------------------------------------------------------------- */

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

function svg(tag, attrs, ...children) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) e.setAttribute(k, v);
  for (const c of children.flat()) if (c !== undefined && c !== null) e.append(c instanceof Node ? c : String(c));
  return e;
}

const fmtCount = (n) => (typeof n === 'number' ? n.toLocaleString('en-US') : '–');

function fmtMs(v) {
  if (typeof v !== 'number') return '–';
  if (v < 1) return `${v.toFixed(3)} ms`;
  if (v < 100) return `${v.toFixed(2)} ms`;
  return `${Math.round(v)} ms`;
}

function fmtValue(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e6 || a < 1e-3) ? v.toExponential(3) : String(+v.toPrecision(6));
}

const isTrue = (x) => x === true || x === 1 || x === '1' || x === 'true' || x === 'TRUE' || x === 'True';

/* An ISO 8601 string (or a number of seconds since 1970) to milliseconds; NaN if neither. A
 * string without a zone is taken as UTC, like the pipeline's own timestamps. */
function toMs(x) {
  if (typeof x === 'number') return x * 1000;
  if (typeof x !== 'string' || !x) return NaN;
  let s = x.trim();
  if (/^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(s)) s = `${s.replace(' ', 'T')}Z`;
  return Date.parse(s);
}

function banner(msg, kind = 'error') {
  const b = $('banner');
  b.hidden = !msg;
  if (!msg) return;
  b.className = `banner banner-${kind}`;
  b.textContent = msg;
}

function setLive(msg, kind) {
  const s = $('dash-live');
  s.textContent = msg || '';
  s.className = `live-status${kind ? ` live-${kind}` : ''}`;
}

/* ---- the API ---------------------------------------------------------------------------------- */

class AuthError extends Error {}
class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path) {
  let res;
  try {
    res = await fetch(path, {headers: {Authorization: `Bearer ${state.token}`}, cache: 'no-store'});
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
  if (!res.ok) throw new ApiError(res.status, `${res.status}: ${(data && data.error) || text.trim() || res.statusText}`);
  return data || {};
}

/* ---- the token (as in the console) ------------------------------------------------------------- */

function askToken(message) {
  const err = $('token-error');
  err.textContent = message || '';
  err.hidden = !message;
  $('signout').hidden = true;
  if ($('token-dialog').hidden) {
    $('token-dialog').hidden = false;
    $('token-input').value = '';
  }
  $('token-input').focus();
}

function submitToken(ev) {
  ev.preventDefault();
  const t = $('token-input').value.trim();
  if (!t) return;
  state.token = t;
  localStorage.setItem(TOKEN_KEY, t);
  $('token-dialog').hidden = true;
  $('signout').hidden = false;
  schedule(0);
}

function forgetToken() {
  state.token = '';
  localStorage.removeItem(TOKEN_KEY);
  askToken();
}

/* ---- polling ------------------------------------------------------------------------------------ */

function schedule(ms = POLL_MS) {
  clearTimeout(state.timer);
  state.timer = setTimeout(poll, ms);
}

function addRows(rows) {
  for (const row of rows) {
    const ts = row[TIME];
    const v = row[FIELD];
    state.points.push({t: toMs(ts), v: typeof v === 'number' ? v : v === null ? null : Number(v), a: isTrue(row[FLAG]), ts, row});
  }
  state.received += rows.length;
  if (state.points.length > WINDOW) state.points.splice(0, state.points.length - WINDOW);
  if (rows.length) state.dirty = true;
}

async function poll() {
  state.timer = null;
  if (state.polling || !state.token || !$('token-dialog').hidden || document.hidden) return;
  state.polling = true;
  const base = `/api/pipelines/${encodeURIComponent(NAME)}`;
  try {
    // The rows added since the last answer; at once again while the answers come back full.
    for (let round = 0; round < 20; round++) {
      const r = await api(`${base}/records?after=${state.last}&limit=${LIMIT}`);
      const rows = Array.isArray(r.records) ? r.records : [];
      addRows(rows);
      if (typeof r.last === 'number' && r.last > state.last) state.last = r.last;
      if (rows.length < LIMIT) break;
    }
    state.pipeline = await api(base);
    banner(null);
    render();
    setLive(`live · updated ${new Date().toLocaleTimeString()}`, 'ok');
  } catch (e) {
    if (e instanceof AuthError) {
      state.polling = false;
      return; // polling goes on once a token is entered
    }
    if (e instanceof ApiError && e.status === 404) {
      banner(`No pipeline named "${NAME}" on this server (${e.message}). Upload it in the console; ` +
        'this page keeps looking.', 'info');
    } else {
      banner(e instanceof ApiError ? e.message : `unexpected error: ${e.message}`);
    }
    setLive('not updating', 'error');
    render();
  }
  state.polling = false;
  schedule();
}

/* ---- rendering ------------------------------------------------------------------------------------ */

function render() {
  renderCounters();
  renderPipeline();
  renderAnomalies();
  if (state.dirty) renderChart();
}

function renderCounters() {
  const pts = state.points;
  $('stat-shown').textContent = fmtCount(pts.length);
  $('stat-anomalies').textContent = fmtCount(pts.reduce((n, p) => n + (p.a ? 1 : 0), 0));
  const last = pts.length ? pts[pts.length - 1].ts : null;
  $('stat-last').textContent = last === null || last === undefined ? '–' : String(last);
  $('stat-received').textContent = fmtCount(state.received);
  $('stat-rowid').textContent = String(state.last);
}

function renderPipeline() {
  const p = state.pipeline;
  const st = $('pipe-state');
  st.textContent = p ? p.state : 'unknown';
  st.className = `pipe-state state-${p ? p.state : 'unknown'}`;
  const err = $('pipe-error');
  err.textContent = (p && p.error) || '';
  err.hidden = !(p && p.error);
  const s = p && p.stats;
  const src = (s && s.source) || {};
  const q = (s && s.queues) || {};
  const card = (label, value, key, bad) => el('div', {class: `card${bad ? ' card-bad' : ''}`, dataset: {stat: key}},
    el('div', {class: 'card-value'}, value), el('div', {class: 'card-label'}, label));
  $('pipe-cards').replaceChildren(
    card(`source${src.type ? ` (${src.type})` : ''} records`, fmtCount(src.records), 'source'),
    card('bad input', fmtCount(src.bad), 'bad', src.bad > 0),
    card('dead letters', fmtCount(s && s.dead_letters), 'dead_letters', s && s.dead_letters > 0),
    card('queues in / out', s ? `${q.in ?? 0} / ${q.out ?? 0}` : '–', 'queues'));
  const stages = (s && s.stages) || [];
  $('pipe-stages').hidden = !stages.length;
  $('pipe-stages').tBodies[0].replaceChildren(...stages.map((g) => el('tr', {dataset: {stage: g.name}},
    el('td', {}, el('code', {}, g.name)), el('td', {}, g.type),
    el('td', {class: 'num'}, fmtCount(g.in)), el('td', {class: 'num'}, fmtCount(g.out)),
    el('td', {class: `num${g.errors ? ' error-text' : ''}`}, fmtCount(g.errors)),
    el('td', {class: 'num nowrap'}, fmtMs(g.busy_ms)))));
  const sinks = (s && s.sinks) || [];
  $('pipe-sinks').hidden = !sinks.length;
  $('pipe-sinks').tBodies[0].replaceChildren(...sinks.map((k) => el('tr', {dataset: {sink: k.name}},
    el('td', {}, el('code', {}, k.name)), el('td', {}, k.type),
    el('td', {class: 'num', dataset: {k: 'records'}}, fmtCount(k.records)),
    el('td', {class: `num${k.retries ? ' warn-text' : ''}`}, fmtCount(k.retries)),
    el('td', {class: 'small error-text'}, k.last_error || ''))));
}

function renderAnomalies() {
  const rows = [];
  for (let i = state.points.length - 1; i >= 0 && rows.length < 10; i--) {
    const p = state.points[i];
    if (p.a) rows.push(el('tr', {}, el('td', {class: 'mono small'}, String(p.ts)), el('td', {class: 'num'}, fmtValue(p.v))));
  }
  $('anomaly-table').tBodies[0].replaceChildren(...rows);
  $('anomaly-table').hidden = !rows.length;
  $('anomaly-empty').hidden = rows.length > 0;
}

/* Nice steps for a linear axis: 1, 2 or 5 times a power of ten. */
function linearTicks(lo, hi, count) {
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const n = raw / mag;
  const step = (n < 1.5 ? 1 : n < 3 ? 2 : n < 7 ? 5 : 10) * mag;
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(+v.toPrecision(12));
  return {ticks, step};
}

const SEC = 1000, MIN = 60 * SEC, HOUR = 60 * MIN, DAY = 24 * HOUR;
const TIME_STEPS = [SEC, 2 * SEC, 5 * SEC, 10 * SEC, 15 * SEC, 30 * SEC, MIN, 2 * MIN, 5 * MIN, 10 * MIN, 15 * MIN,
  30 * MIN, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 91 * DAY, 365 * DAY];

function timeTicks(lo, hi, count) {
  const step = TIME_STEPS.find((s) => (hi - lo) / s <= count) || Math.ceil((hi - lo) / count / DAY) * DAY;
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) ticks.push(t);
  return {ticks, step};
}

function fmtTick(t, step, span) {
  const iso = new Date(t).toISOString(); // UTC: YYYY-MM-DDTHH:MM:SS.mmmZ
  if (step >= DAY) return iso.slice(0, 10);
  const clock = step < MIN ? iso.slice(11, 19) : iso.slice(11, 16);
  return span >= DAY ? `${iso.slice(5, 10)} ${clock}` : clock;
}

function renderChart() {
  state.dirty = false;
  const box = $('chart');
  const pts = state.points.filter((p) => Number.isFinite(p.t)).sort((a, b) => a.t - b.t);
  const vals = pts.filter((p) => typeof p.v === 'number' && Number.isFinite(p.v));
  const old = box.querySelector('svg');
  if (!vals.length) {
    if (old) old.remove();
    $('chart-empty').hidden = false;
    $('chart-empty').textContent = state.points.length
      ? `No plottable points: the records need a "${TIME}" timestamp and a numeric "${FIELD}".`
      : 'Waiting for records…';
    return;
  }
  $('chart-empty').hidden = true;

  const W = Math.max(320, box.clientWidth || 900), H = 380;
  const m = {l: 58, r: 18, t: 14, b: 38};
  const pw = W - m.l - m.r, ph = H - m.t - m.b;
  let t0 = pts[0].t, t1 = pts[pts.length - 1].t;
  if (t1 === t0) t0 -= 30 * SEC, t1 += 30 * SEC;
  let v0 = Infinity, v1 = -Infinity;
  for (const p of vals) v0 = Math.min(v0, p.v), v1 = Math.max(v1, p.v);
  const pad = v1 > v0 ? (v1 - v0) * 0.06 : Math.abs(v0) * 0.1 || 1;
  v0 -= pad;
  v1 += pad;
  const x = (t) => m.l + ((t - t0) / (t1 - t0)) * pw;
  const y = (v) => m.t + (1 - (v - v0) / (v1 - v0)) * ph;
  const r1 = (n) => Math.round(n * 10) / 10;

  const yt = linearTicks(v0, v1, Math.max(3, Math.floor(ph / 55)));
  const xt = timeTicks(t0, t1, Math.max(2, Math.floor(pw / 110)));
  const grid = svg('g', {class: 'grid'});
  const yaxis = svg('g', {class: 'axis axis-y'});
  for (const v of yt.ticks) {
    grid.append(svg('line', {x1: m.l, x2: m.l + pw, y1: r1(y(v)), y2: r1(y(v))}));
    yaxis.append(svg('text', {x: m.l - 8, y: r1(y(v)), dy: '0.32em', 'text-anchor': 'end'}, fmtValue(v)));
  }
  const xaxis = svg('g', {class: 'axis axis-x'},
    svg('line', {class: 'baseline', x1: m.l, x2: m.l + pw, y1: m.t + ph, y2: m.t + ph}));
  for (const t of xt.ticks) {
    xaxis.append(svg('line', {x1: r1(x(t)), x2: r1(x(t)), y1: m.t + ph, y2: m.t + ph + 5}));
    xaxis.append(svg('text', {x: r1(x(t)), y: m.t + ph + 19, 'text-anchor': 'middle'}, fmtTick(t, xt.step, t1 - t0)));
  }
  xaxis.append(svg('text', {class: 'axis-label', x: m.l + pw, y: H - 2, 'text-anchor': 'end'}, `${TIME} (UTC)`));

  // The line; a record without a value breaks it.
  let d = '', pen = false;
  for (const p of pts) {
    if (typeof p.v !== 'number' || !Number.isFinite(p.v)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${r1(x(p.t))},${r1(y(p.v))}`;
    pen = true;
  }
  const anomalies = svg('g', {class: 'anomalies'});
  for (const p of vals) {
    if (!p.a) continue;
    anomalies.append(svg('circle', {class: 'anomaly', cx: r1(x(p.t)), cy: r1(y(p.v)), r: 4.5,
      'data-time': String(p.ts), 'data-value': String(p.v)},
    svg('title', {}, `${p.ts}: ${FIELD} ${fmtValue(p.v)} (anomaly)`)));
  }
  const hover = svg('g', {class: 'hover', visibility: 'hidden'},
    svg('line', {y1: m.t, y2: m.t + ph}), svg('circle', {r: 3.5}));
  const plot = svg('svg', {id: 'chart-svg', viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img',
    'aria-label': `${FIELD} over ${TIME}, ${pts.length} points, ${anomalies.childElementCount} anomalies`},
  svg('title', {}, `${NAME}: ${FIELD}, ${pts.length} points`),
  grid, yaxis, xaxis,
  svg('path', {class: 'line', d, 'data-points': String(vals.length)}),
  anomalies, hover,
  svg('rect', {class: 'hit', x: m.l, y: m.t, width: pw, height: ph}));

  // Hovering shows the nearest point.
  const tip = $('chart-tip') || box.appendChild(el('div', {id: 'chart-tip', class: 'chart-tip', hidden: true}));
  plot.addEventListener('mousemove', (ev) => {
    const rect = plot.getBoundingClientRect();
    const px = ((ev.clientX - rect.left) / rect.width) * W;
    const t = t0 + ((px - m.l) / pw) * (t1 - t0);
    let lo = 0, hi = vals.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (vals[mid].t < t) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0 && Math.abs(vals[lo - 1].t - t) < Math.abs(vals[lo].t - t)) lo--;
    const p = vals[lo];
    const cx = x(p.t), cy = y(p.v);
    hover.setAttribute('visibility', 'visible');
    hover.firstChild.setAttribute('x1', cx);
    hover.firstChild.setAttribute('x2', cx);
    hover.lastChild.setAttribute('cx', cx);
    hover.lastChild.setAttribute('cy', cy);
    tip.hidden = false;
    tip.className = `chart-tip${p.a ? ' chart-tip-anomaly' : ''}`;
    tip.textContent = `${p.ts} · ${fmtValue(p.v)}${p.a ? ' · anomaly' : ''}`;
    const sx = rect.width / W;
    tip.style.left = `${Math.min(cx * sx, rect.width - 10)}px`;
    tip.style.top = `${cy * (rect.height / H)}px`;
  });
  plot.addEventListener('mouseleave', () => {
    hover.setAttribute('visibility', 'hidden');
    tip.hidden = true;
  });
  if (old) old.replaceWith(plot);
  else box.prepend(plot);
}

/* ---- start ---------------------------------------------------------------------------------------- */

function init() {
  document.title = `${NAME} · Sluice dashboard`;
  $('pipe-name').textContent = NAME;
  $('dash-window').textContent = fmtCount(WINDOW);
  $('chart-title').textContent = `${FIELD} over ${TIME}`;
  $('legend-series').textContent = FIELD;
  $('anomaly-col').textContent = FIELD;
  $('console-link').href = `/#/pipelines/${encodeURIComponent(NAME)}`;
  $('token-form').addEventListener('submit', submitToken);
  $('signout').addEventListener('click', forgetToken);
  let resize = null;
  window.addEventListener('resize', () => {
    clearTimeout(resize);
    resize = setTimeout(() => {
      state.dirty = true;
      renderChart();
    }, 100);
  });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && !state.timer && !state.polling) schedule(0);
  });
  renderCounters();
  if (!NAME_RE.test(NAME)) {
    banner(`"${NAME}" is not a pipeline name (lowercase letters, digits, - and _).`);
    return;
  }
  if (!state.token) {
    askToken();
    return;
  }
  $('signout').hidden = false;
  schedule(0);
}

init();
