// harness.mjs - what the browser tests (run.mjs, dashboard.mjs) share: counting checks,
// grouping dependent steps, watching pages for console errors, screenshots, launching
// Debian's chromium, and the closing summary.
import path from 'node:path';
import {chromium} from 'playwright-core';

let passed = 0, failed = 0, out = '.';
const t0 = Date.now();
const problems = [];
let allowed = null; // {status, path} of a failed resource load the current step expects
let closing = false; // a context is being closed: its aborted requests are expected

export function setOutput(dir) {
  out = dir;
}

export function check(cond, what, detail) {
  if (cond) {
    passed++;
    console.log(`ok   ${what}`);
  } else {
    failed++;
    console.log(`FAIL ${what}${detail !== undefined ? `: ${detail}` : ''}`);
  }
  return cond;
}

export class Abort extends Error {}
// Like check, but a failure ends the group of dependent steps it is in.
export function must(cond, what, detail) {
  if (!check(cond, what, detail)) throw new Abort(what);
}

// A failed load the current step expects ({status, path}, e.g. a wrong token's 401), or null.
export function allowLoadFailure(a) {
  allowed = a;
}

// Any console error, uncaught exception or failed request of the page is a problem, but for
// the failed load the current step expects and requests aborted by closeContext.
export function watch(page, label) {
  page.on('console', (msg) => {
    if (msg.type() !== 'error' && msg.type() !== 'warning') return;
    const text = msg.text();
    const loc = msg.location() || {};
    if (allowed && /Failed to load resource/.test(text) && text.includes(`status of ${allowed.status}`) &&
        (loc.url || '').includes(allowed.path)) return;
    if (msg.type() === 'warning') {
      console.log(`note ${label}: console warning: ${text}`);
      return;
    }
    problems.push(`${label}: console ${msg.type()}: ${text}${loc.url ? ` (${loc.url})` : ''}`);
  });
  page.on('pageerror', (err) => problems.push(`${label}: uncaught exception: ${err.message}`));
  page.on('requestfailed', (req) => {
    if (closing && /ABORTED/.test(req.failure()?.errorText || '')) return;
    problems.push(`${label}: request failed: ${req.method()} ${req.url()}: ${req.failure()?.errorText}`);
  });
}

export async function closeContext(ctx) {
  closing = true;
  await ctx.close();
  closing = false;
}

export async function shot(page, name) {
  const file = path.join(out, name);
  await page.evaluate(() => window.scrollTo(0, 0)); // a full-page shot of a scrolled page repeats the sticky bar
  await page.screenshot({path: file, fullPage: true});
  console.log(`     screenshot ${path.relative(process.cwd(), file)}`);
}

// Runs fn; a failure inside skips the rest of the group (with a screenshot of page).
export async function group(name, page, fn) {
  console.log(`# ${name}`);
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof Abort)) check(false, `${name}: no exception`, e.message.split('\n')[0]);
    console.log(`     (the rest of "${name}" skipped)`);
    if (page) {
      try {
        await shot(page, `failed-${name.replace(/\W+/g, '-')}.png`);
      } catch (_) { /* the page may be gone */ }
    }
  }
}

export const text = async (loc) => ((await loc.textContent()) || '').trim();

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
}

// The last check (no problems in any page), the summary line, and the exit code.
export function finish(label) {
  check(problems.length === 0, 'no errors in the pages\' consoles', `\n  ${problems.join('\n  ')}`);
  console.log(`${label}: ${passed} passed, ${failed} failed (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  process.exit(failed ? 1 : 0);
}
