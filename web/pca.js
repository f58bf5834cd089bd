/* The PCA page (served at /pca): POSTs the points in the textarea to /fn/pca, shows the SVG
 * plot inline and the numbers (/fn/pca?format=json) under it; an error answer is shown as a
 * readable message. /fn/ needs no token. */
'use strict';

const $ = (id) => document.getElementById(id);

/* The values in the textarea (for the count shown under it; the function does the checking). */
function countValues(text) {
  const t = text.trim();
  if (!t) return 0;
  return t.split(',').length;
}

function updateInfo() {
  const n = countValues($('points').value);
  $('points-info').textContent = n % 2
    ? `${n} values: not an even count of x,y pairs`
    : `${n / 2} point${n === 2 ? '' : 's'}`;
}

/* Parses an SVG document and returns its root, imported into this document, without scripts,
 * event handlers or external links. */
function safeSvg(text) {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const root = doc.documentElement;
  if (!root || root.nodeName !== 'svg' || doc.getElementsByTagName('parsererror').length) return null;
  for (const bad of root.querySelectorAll('script, foreignObject, iframe, object, embed')) bad.remove();
  for (const e of [root, ...root.querySelectorAll('*')]) {
    for (const a of [...e.attributes]) {
      const name = a.name.toLowerCase();
      if (name.startsWith('on')) e.removeAttribute(a.name);
      else if ((name === 'href' || name === 'xlink:href') && !a.value.startsWith('#')) e.removeAttribute(a.name);
    }
  }
  return document.importNode(root, true);
}

function showError(title, detail) {
  const box = document.createElement('div');
  box.className = 'error-box';
  box.setAttribute('role', 'alert');
  box.id = 'pca-error';
  const s = document.createElement('strong');
  s.textContent = title;
  const p = document.createElement('pre');
  p.textContent = detail;
  box.append(s, p);
  $('plot').replaceChildren(box);
  $('legend').hidden = true;
  $('numbers').hidden = true;
}

/* The message of an error answer: {"error": ...} JSON (the gateway's errors) or text (the
 * function's own 400). */
function errorMessage(text, ctype) {
  if (ctype.includes('json')) {
    try {
      const j = JSON.parse(text);
      if (j && typeof j.error === 'string') return j.kind ? `${j.error} (${j.kind})` : j.error;
    } catch (_) {
      /* not JSON after all: show the text */
    }
  }
  return text.trim() || '(no message)';
}

const fmt = (x) => (typeof x === 'number' ? Number(x.toPrecision(6)).toString() : String(x));
const vec = (v) => `(${v.map(fmt).join(', ')})`;

function showNumbers(r) {
  const rows = [
    ['points', r.n],
    ['mean', vec(r.mean)],
    ['covariance', `${vec(r.covariance[0])} ${vec(r.covariance[1])}`],
    ['eigenvalues', `${fmt(r.eigenvalues[0])}, ${fmt(r.eigenvalues[1])}`],
    ['1st component', vec(r.eigenvectors[0])],
    ['2nd component', vec(r.eigenvectors[1])],
  ];
  const tb = $('numbers').tBodies[0];
  tb.replaceChildren();
  for (const [k, v] of rows) {
    const tr = document.createElement('tr');
    const a = document.createElement('td');
    const b = document.createElement('td');
    a.textContent = k;
    b.textContent = String(v);
    tr.append(a, b);
    tb.append(tr);
  }
  $('numbers').hidden = false;
}

async function run(ev) {
  ev.preventDefault();
  const body = $('points').value;
  const btn = $('run');
  btn.disabled = true;
  $('result-meta').textContent = 'running…';
  const t0 = performance.now();
  try {
    let res, text;
    try {
      res = await fetch('/fn/pca', {method: 'POST', headers: {'Content-Type': 'text/plain'}, body, cache: 'no-store'});
      text = await res.text();
    } catch (e) {
      $('result-meta').textContent = '';
      showError('Cannot reach the server', e.message);
      return;
    }
    const ms = performance.now() - t0;
    const ctype = (res.headers.get('content-type') || '').toLowerCase();
    const version = (res.headers.get('x-sluice-version') || '').slice(0, 12);
    $('result-meta').textContent = `${res.status} · ${ms.toFixed(1)} ms${version ? ` · version ${version}` : ''}`;
    if (!res.ok) {
      showError(`Error ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`, errorMessage(text, ctype));
      return;
    }
    const svg = safeSvg(text);
    if (!svg) {
      showError('Unexpected answer', `expected an SVG image, got ${ctype || 'no Content-Type'}:\n${text.slice(0, 400)}`);
      return;
    }
    svg.removeAttribute('width');
    svg.removeAttribute('height');
    svg.setAttribute('role', 'img');
    $('plot').replaceChildren(svg);
    $('legend').hidden = false;
    // The numbers too (a second invocation, with ?format=json).
    $('numbers').hidden = true;
    try {
      const r = await fetch('/fn/pca?format=json', {method: 'POST', headers: {'Content-Type': 'text/plain'}, body, cache: 'no-store'});
      if (r.ok) showNumbers(await r.json());
    } catch (_) {
      /* the plot is there; the table is optional */
    }
  } finally {
    btn.disabled = false;
  }
}

function init() {
  const data = {sepal: $('iris-sepal').textContent, petal: $('iris-petal').textContent};
  $('dataset').addEventListener('change', () => {
    const v = $('dataset').value;
    if (data[v]) $('points').value = data[v];
    updateInfo();
  });
  $('points').addEventListener('input', () => {
    $('dataset').value = 'custom';
    updateInfo();
  });
  $('pca-form').addEventListener('submit', run);
  // The textarea starts with the iris sepal pairs (kept once, in the page's data block).
  if (!$('points').value.trim()) $('points').value = data.sepal;
  updateInfo();
}

init();
