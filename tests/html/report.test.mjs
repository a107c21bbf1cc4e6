// The HTML report in a real browser: keyhound (env KEYHOUND, default target/release/keyhound)
// writes the pages, Debian's Chromium (env CHROMIUM, default /usr/bin/chromium) opens them.
// Run: node tests/html/report.test.mjs (after npm ci in tests/html). Screenshots go to
// target/html-screenshots/.
//
// Dev only: KEYHOUND_HTML_TEMPLATE=src/report/html/report.html puts the data of each page
// the binary wrote into that template, as src/report/html/mod.rs does, so a binary built
// before a template change can test it. CI leaves it unset: the binary embeds the template.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { AUTHORS, MARKUP_PATH, writeRepo, writeTree } from './generate.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const KEYHOUND = resolve(ROOT, process.env.KEYHOUND || 'target/release/keyhound');
const TEMPLATE = process.env.KEYHOUND_HTML_TEMPLATE ? resolve(ROOT, process.env.KEYHOUND_HTML_TEMPLATE) : null;
const SHOTS = join(ROOT, 'target/html-screenshots');
const ROW = 28;
const BUDGET_MS = 2000;

const DATA_OPEN = '<script type="application/json" id="data">';
const DATA_MARK = '/*KEYHOUND-DATA*/';

let browser, tmp;

before(async () => {
  assert.ok(existsSync(KEYHOUND), `no keyhound binary at ${KEYHOUND} (set KEYHOUND)`);
  const executablePath = process.env.CHROMIUM ||
    ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);
  assert.ok(executablePath, 'no Chromium: apt-get install chromium, or set CHROMIUM');
  // --no-sandbox: CI runs as root, where Chromium's sandbox will not start.
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  tmp = mkdtempSync(join(tmpdir(), 'keyhound-html-'));
  mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Runs keyhound ARGS, which find something (exit 1). */
function keyhound(args) {
  const run = spawnSync(KEYHOUND, args, { cwd: tmp, encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(run.status, 1, `keyhound ${args.join(' ')}: exit ${run.status} (1 = findings)\n${run.stderr}`);
}

/** Runs keyhound ARGS writing an HTML page; returns the page's path and source. */
function report(args, name) {
  const out = join(tmp, name);
  keyhound([...args, '--no-config', '--format', 'html', '-o', out]);
  return written(out);
}

/** The HTML page keyhound wrote at OUT (in KEYHOUND_HTML_TEMPLATE, if set). */
function written(out) {
  let html = readFileSync(out, 'utf8');
  if (TEMPLATE) {
    const start = html.indexOf(DATA_OPEN) + DATA_OPEN.length;
    const data = html.slice(start, html.indexOf('</script>', start));
    const [head, tail] = readFileSync(TEMPLATE, 'utf8').split(DATA_MARK);
    html = head + data + tail;
    writeFileSync(out, html);
  }
  return { file: out, html, url: pathToFileURL(out).href };
}

/**
 * The generated secrets found whole in the page. Each is made of [A-Za-z0-9+/_!], so any
 * copy lies inside a run of those characters: look there only (25,000 secrets, 19 MB).
 */
function leaked(html, secrets) {
  const want = new Set(secrets);
  const lengths = [...new Set(secrets.map((s) => s.length))];
  const min = Math.min(...lengths);
  const found = new Set();
  for (const [run] of html.matchAll(/[A-Za-z0-9+/_!]+/g)) {
    if (run.length < min) continue;
    for (const n of lengths) for (let k = 0; k + n <= run.length; k++) {
      const w = run.substr(k, n);
      if (want.has(w)) found.add(w);
    }
  }
  return [...found];
}

function count(values) {
  const m = {};
  for (const v of values) m[v] = (m[v] || 0) + 1;
  return m;
}

async function open(url, viewport, extra = {}) {
  const context = await browser.newContext({ viewport, ...extra });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(url);
  await page.waitForFunction(() => document.documentElement.dataset.ready, null, { timeout: 30_000 }).catch((e) => {
    throw new Error(`the page never became ready (${errors.join('; ') || e.message}); a binary built ` +
      'before the template changed needs KEYHOUND_HTML_TEMPLATE');
  });
  return { context, page, errors };
}

/** The data in a page's source, as its script reads it. */
function pageData(html) {
  const start = html.indexOf(DATA_OPEN) + DATA_OPEN.length;
  return JSON.parse(html.slice(start, html.indexOf('</script>', start)));
}
const shown = async (page) => Number((await page.textContent('#shown')).replace(/\D/g, ''));
/** The data index of each drawn row, top to bottom. */
const rowOrder = (page) => page.$$eval('.row', (rows) =>
  rows.sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top)).map((r) => Number(r.dataset.index)));

/** A page whose findings carry no `verification` shows nothing of it: as before --verify. */
async function noVerification(page) {
  assert.equal(await page.locator('[data-sort=verification]').count(), 0, 'a Verified column');
  assert.equal(await page.locator('.row .ver').count(), 0, 'Verified cells');
  assert.equal(await page.locator('svg[data-chart=verification]').count(), 0, 'a verification chart');
  assert.ok(await page.locator('#ver').isHidden(), 'verification boxes');
  assert.equal(await page.getAttribute('[data-sort=confidence]', 'aria-sort'), 'descending');
}

test('25,000 findings: rendered in time, all counted, none unmasked', { timeout: 90_000 }, async () => {
  const dir = join(tmp, 'tree');
  const secrets = writeTree(dir, 2500);
  const { html, url } = report(['scan', dir], 'big.html');
  assert.deepEqual(leaked(html, secrets), [], 'secrets in the page source');
  // Self-contained: the page itself (not its data) loads nothing.
  const page0 = html.slice(0, html.indexOf(DATA_OPEN)) + html.slice(html.indexOf('</script>', html.indexOf(DATA_OPEN)));
  for (const needle of ['src=', 'href=', '@import', 'url(']) assert.ok(!page0.includes(needle), `page holds ${needle}`);

  const { context, page, errors } = await open(url, { width: 1366, height: 768 });
  const ready = Number(await page.evaluate(() => document.documentElement.dataset.ready));
  const d = pageData(html);
  const n = d.findings.length;
  console.log(`# ${n} findings ready in ${ready.toFixed(0)} ms`);
  assert.ok(n >= 25_000, `only ${n} findings`);
  assert.ok(ready < BUDGET_MS, `ready after ${ready.toFixed(0)} ms (budget ${BUDGET_MS} ms)`);
  assert.equal(await shown(page), n);
  assert.equal(Number((await page.textContent('#total')).replace(/\D/g, '')), n);
  const drawn = await page.locator('.row').count();
  assert.ok(drawn > 10 && drawn < 200, `${drawn} rows in the DOM: not virtualised`);
  await noVerification(page);
  await page.screenshot({ path: join(SHOTS, 'big-1366x768.png') });

  // The last row can be scrolled to.
  const end = await page.evaluate(() => {
    const s = document.getElementById('scroller');
    s.scrollTop = s.scrollHeight;
    return new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => {
      const tops = [...document.querySelectorAll('.row')].map((r) => parseFloat(r.style.top));
      done({ last: Math.max(...tops), height: document.getElementById('body').offsetHeight });
    })));
  });
  assert.equal(end.last + ROW, end.height);

  // Filtering and sorting all of them stay quick.
  const timing = await page.evaluate(() => {
    const box = document.getElementById('filter');
    let t = performance.now();
    box.value = 'services/billing';
    box.dispatchEvent(new Event('input'));
    const filter = performance.now() - t;
    const matched = document.getElementById('shown').textContent;
    box.value = '';
    box.dispatchEvent(new Event('input'));
    t = performance.now();
    // Secrets are in no order yet: a real sort, not a pass over sorted data.
    document.querySelector('[data-sort=secret] button').click();
    const sort = performance.now() - t;
    return { filter, sort, matched };
  });
  console.log(`# filter ${timing.filter.toFixed(0)} ms, sort ${timing.sort.toFixed(0)} ms`);
  const billing = d.findings.filter((f) => f.path.includes('services/billing')).length;
  assert.equal(Number(timing.matched.replace(/\D/g, '')), billing);
  assert.ok(timing.filter < 300, `filter took ${timing.filter} ms`);
  assert.ok(timing.sort < 600, `sort took ${timing.sort} ms`);
  assert.deepEqual(errors, []);
  await context.close();

  const narrow = await open(url, { width: 390, height: 844 }, { isMobile: true, hasTouch: true });
  await narrow.page.screenshot({ path: join(SHOTS, 'big-390x844.png') });
  await narrow.context.close();

  // The same findings, each with a verification (as --verify writes them), in time too.
  const json = join(tmp, 'big.json');
  keyhound(['scan', dir, '--no-config', '-f', 'json', '-o', json]);
  const stored = JSON.parse(readFileSync(json, 'utf8'));
  const STATUS = ['invalid', 'error', 'skipped'];
  stored.forEach((x, i) => {
    x.verification = i % 7 === 0
      ? { status: 'live', identity: `user${i}`, permissions: i % 14 === 0 ? ['can-trade', 'can-withdraw'] : ['repo'] }
      : { status: STATUS[i % 3], detail: `answer ${i}` };
  });
  writeFileSync(json, JSON.stringify(stored));
  const vout = join(tmp, 'big-verified.html');
  keyhound(['merge', json, '-f', 'html', '-o', vout]);
  const v = written(vout);
  assert.deepEqual(leaked(v.html, secrets), [], 'secrets in the verified page source');
  const vp = await open(v.url, { width: 1366, height: 768 });
  const vready = Number(await vp.page.evaluate(() => document.documentElement.dataset.ready));
  console.log(`# ${n} verified findings ready in ${vready.toFixed(0)} ms`);
  assert.ok(vready < BUDGET_MS, `verified: ready after ${vready.toFixed(0)} ms (budget ${BUDGET_MS} ms)`);
  assert.equal(await vp.page.textContent('.row .ver .badge'), 'live');
  const vtiming = await vp.page.evaluate(() => {
    let t = performance.now();
    document.querySelector('#ver input[value=invalid]').click();
    const facet = performance.now() - t;
    const left = document.getElementById('shown').textContent;
    t = performance.now();
    document.querySelector('[data-sort=verification] button').click();
    const sort = performance.now() - t;
    return { facet, sort, left };
  });
  console.log(`# verified: facet ${vtiming.facet.toFixed(0)} ms, sort ${vtiming.sort.toFixed(0)} ms`);
  const vf = pageData(v.html).findings;
  assert.equal(Number(vtiming.left.replace(/\D/g, '')), vf.filter((x) => x.verification.status !== 'invalid').length);
  assert.ok(vtiming.facet < 300, `facet took ${vtiming.facet} ms`);
  assert.ok(vtiming.sort < 600, `sort took ${vtiming.sort} ms`);
  assert.deepEqual(vp.errors, []);
  await vp.context.close();
});

test('a history report: authors, links, sorting, grouping, filters, details', { timeout: 60_000 }, async () => {
  const repo = join(tmp, 'repo');
  const { secrets, commits, deep } = writeRepo(repo);
  const { html, url } = report(['git', repo], 'small.html');
  assert.deepEqual(leaked(html, secrets), [], 'secrets in the page source');

  const { context, page, errors } = await open(url, { width: 1366, height: 768 },
    { permissions: ['clipboard-read', 'clipboard-write'] });
  const f = pageData(html).findings;
  const total = f.length;
  assert.equal(total, 6, JSON.stringify(f.map((x) => x.rule_id + ' ' + x.path)));
  assert.equal(await shown(page), total);
  await noVerification(page);

  // By author, as the data says and as the repository was made.
  const bars = await page.$$eval('svg[data-chart=author] .bar[data-key]', (gs) =>
    Object.fromEntries(gs.map((g) => [g.dataset.key, Number(g.dataset.count)])));
  assert.deepEqual(bars, count(f.map((x) => x.author)));
  assert.deepEqual(bars, { [AUTHORS[0].name]: 3, [AUTHORS[1].name]: 3 });

  // Commit links: the full id on the remote's web page, and only https links at all.
  const links = await page.$$eval('.row', (rows) => rows.map((r) => [Number(r.dataset.index), r.querySelector('.commit a')?.href]));
  for (const [i, href] of links) assert.equal(href, `https://github.com/acme/app/commit/${f[i].commit}`);
  assert.ok(links.some(([, href]) => href === `https://github.com/acme/app/commit/${commits[0]}`));
  assert.ok(links.some(([, href]) => href === `https://github.com/acme/app/commit/${commits[1]}`));

  // Rows keep one height; masked values never wrap.
  const cells = await page.$$eval('.row, .row > div', (els) => els.map((e) => {
    const s = getComputedStyle(e);
    return { h: e.getBoundingClientRect().height, row: e.classList.contains('row'), ws: s.whiteSpace, to: s.textOverflow };
  }));
  for (const c of cells.filter((c) => c.row)) assert.equal(c.h, ROW);
  const inner = cells.filter((c) => !c.row);
  assert.equal(new Set(inner.map((c) => c.h)).size, 1, 'cells of different heights');
  for (const c of inner) {
    assert.ok(c.h <= ROW);
    assert.deepEqual([c.ws, c.to], ['nowrap', 'ellipsis']);
  }

  // A long path is elided in the middle, whole in its title.
  const deepRow = f.findIndex((x) => x.path === deep);
  const loc = await page.$eval(`.row[data-index="${deepRow}"] .loc`, (e) => ({ text: e.textContent, title: e.title }));
  assert.match(loc.text, /^services\/.*…\/.*production\.env:1$/);
  assert.ok(loc.title.startsWith(`${deep}:1:`), loc.title);

  // Markup in the data stays text.
  const markup = f.findIndex((x) => x.path === MARKUP_PATH);
  assert.ok(markup >= 0, 'no finding in the file named like markup');
  assert.equal(await page.$eval(`.row[data-index="${markup}"] .loc`, (e) => e.title), `${MARKUP_PATH}:1:13`);
  assert.equal(await page.locator('img').count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);

  // A bar of the author chart filters by that author; a second click shows all again.
  const bob = AUTHORS[1].name;
  const bobBar = page.locator('svg[data-chart=author] .bar', { has: page.locator(`title`, { hasText: bob }) });
  await bobBar.click();
  assert.equal(await shown(page), 3);
  await page.locator('svg[data-chart=author] .bar.on').click();
  assert.equal(await shown(page), total);

  // Sorting: a second click on the same header reverses the order.
  const byLoc = page.locator('[data-sort=location] button');
  await byLoc.click();
  const asc = await rowOrder(page);
  assert.deepEqual(asc.map((i) => f[i].path), f.map((x) => x.path).sort());
  assert.equal(await page.getAttribute('[data-sort=location]', 'aria-sort'), 'ascending');
  await byLoc.click();
  assert.deepEqual(await rowOrder(page), [...asc].reverse());
  assert.equal(await page.getAttribute('[data-sort=location]', 'aria-sort'), 'descending');

  // Grouping by rule: one header per rule, with its count; a header folds its rows.
  await page.selectOption('#group', 'rule');
  const groups = await page.$$eval('.group', (gs) => Object.fromEntries(gs.map((g) => [g.dataset.group, Number(g.dataset.count)])));
  assert.deepEqual(groups, count(f.map((x) => x.rule_id)));
  assert.equal(Object.keys(groups).length, 3);
  await page.locator('.group[data-group="github-pat-classic"]').click();
  assert.equal(await page.locator('.row').count(), total - groups['github-pat-classic']);
  await page.locator('.group[data-group="github-pat-classic"]').click();
  assert.equal(await page.locator('.row').count(), total);
  await page.selectOption('#group', '');
  assert.equal(await page.locator('.group').count(), 0);

  // Confidence and validation boxes hide what they uncheck.
  const low = f.filter((x) => x.confidence === 'low').length;
  assert.ok(low > 0);
  await page.uncheck('#conf input[value=low]');
  assert.equal(await shown(page), total - low);
  assert.equal(await page.locator('.row .conf .badge', { hasText: 'low' }).count(), 0);
  await page.check('#conf input[value=low]');
  const unchecked = f.filter((x) => x.validation === 'not-checked').length;
  await page.uncheck('#valid input[value=not-checked]');
  assert.equal(await shown(page), total - unchecked);
  await page.check('#valid input[value=not-checked]');
  assert.equal(await shown(page), total);

  // The text filter narrows, and says so in the URL.
  await page.fill('#filter', 'settlement');
  assert.equal(await shown(page), 1);
  assert.equal(await page.evaluate(() => location.hash), '#filter=settlement');
  await page.fill('#filter', AUTHORS[0].name.toLowerCase());
  assert.equal(await shown(page), 3);
  await page.fill('#filter', '');
  assert.equal(await shown(page), total);

  // Details: the masked line, the fingerprint and the ignore line, each copied on a click.
  await page.locator(`.row[data-index="${deepRow}"]`).click();
  const panel = page.locator('#detail');
  await panel.waitFor({ state: 'visible' });
  const item = f[deepRow];
  const text = await panel.textContent();
  for (const want of [item.fingerprint, item.ignore.replace(/ +/g, ' '), item.line_content, item.message, item.commit]) {
    assert.ok(text.replace(/ +/g, ' ').includes(want.replace(/ +/g, ' ')), `details lack ${want}`);
  }
  const fileHref = await panel.locator('a', { hasText: 'open file' }).getAttribute('href');
  assert.equal(fileHref, `https://github.com/acme/app/blob/${item.commit}/${deep}#L1`);
  await page.screenshot({ path: join(SHOTS, 'small-detail-1366x768.png') });
  for (const [name, want] of [['fingerprint', item.fingerprint], ['ignore', item.ignore]]) {
    const button = panel.locator(`button[data-copy=${name}]`);
    await button.click();
    await page.waitForFunction((b) => b.textContent === 'Copied', await button.elementHandle());
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), want);
  }
  await page.keyboard.press('Escape');
  await panel.waitFor({ state: 'hidden' });
  // A path with markup in it is linked with each segment encoded.
  await page.locator(`.row[data-index="${markup}"]`).click();
  const markupHref = await panel.locator('a', { hasText: 'open file' }).getAttribute('href');
  assert.equal(markupHref, `https://github.com/acme/app/blob/${f[markup].commit}/config/${encodeURIComponent(MARKUP_PATH.split('/')[1])}#L1`);
  await page.keyboard.press('Escape');
  await page.screenshot({ path: join(SHOTS, 'small-1366x768.png') });
  for (const href of await page.$$eval('a[href]', (as) => as.map((a) => a.getAttribute('href')))) {
    assert.ok(href.startsWith('https://'), href);
  }
  assert.deepEqual(errors, []);
  await context.close();

  // Opened with #filter=: pre-filled and narrowed.
  const pre = await open(`${url}#filter=${encodeURIComponent(bob)}`, { width: 390, height: 844 }, { isMobile: true, hasTouch: true });
  assert.equal(await pre.page.inputValue('#filter'), bob);
  assert.equal(await shown(pre.page), f.filter((x) => x.author === bob).length);
  const narrowLoc = await pre.page.$eval(`.row[data-index="${deepRow}"] .loc`, (e) => ({ text: e.textContent, title: e.title }));
  assert.ok(narrowLoc.text.includes('…') && narrowLoc.title.startsWith(deep));
  await pre.page.screenshot({ path: join(SHOTS, 'small-390x844.png') });
  await pre.page.locator(`.row[data-index="${deepRow}"]`).click();
  await pre.page.screenshot({ path: join(SHOTS, 'small-detail-390x844.png') });
  assert.deepEqual(pre.errors, []);
  await pre.context.close();
});

test('verified findings (--verify, read back by merge): column, chart, boxes, details', { timeout: 60_000 }, async () => {
  // The real binary's JSON, with what --verify would have added, merged into a page.
  const dir = join(tmp, 'verify-tree');
  const secrets = writeTree(dir, 2);
  const json = join(tmp, 'r.json');
  keyhound(['scan', dir, '--no-config', '-f', 'json', '-o', json]);
  const stored = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(stored.length, 20);
  assert.ok(stored.every((x) => !x.verification), 'verification without --verify');
  // Location order: the live one last, so the page (not the data) must put it first.
  stored.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line));
  const LIVE = stored.length - 1, INVALID = 0, ERROR = 5;
  stored[LIVE].verification = { status: 'live', identity: 'octocat', permissions: ['can-trade', 'can-withdraw'] };
  stored[INVALID].verification = { status: 'invalid', detail: 'HTTP 401 Bad credentials' };
  // What a provider answers is data too: markup in it stays text.
  stored[ERROR].verification = { status: 'error', detail: 'HTTP 503 <img src=x onerror=__pwned=1>' };
  writeFileSync(json, JSON.stringify(stored));
  const out = join(tmp, 'v.html');
  keyhound(['merge', json, '-f', 'html', '-o', out]);
  const { html, url } = written(out);
  assert.deepEqual(leaked(html, secrets), [], 'secrets in the page source');

  const f = pageData(html).findings;
  assert.equal(f.length, 20);
  const at = (status) => f.findIndex((x) => x.verification?.status === status);
  const live = at('live'), invalid = at('invalid'), error = at('error');
  assert.ok(live >= 0 && invalid >= 0 && error >= 0, 'merge dropped a verification');
  assert.deepEqual(f[live].verification.permissions, ['can-trade', 'can-withdraw']);
  const status = (x) => x.verification?.status || 'unverified';
  const want = count(f.map(status));
  assert.deepEqual(want, { live: 1, invalid: 1, error: 1, unverified: 17 });

  const { context, page, errors } = await open(url, { width: 1366, height: 768 });
  assert.equal(await shown(page), 20);

  // The Verified column: first, and the default order, live first.
  const heads = await page.$$eval('#head [data-sort]', (cs) => cs.map((c) => c.dataset.sort));
  assert.equal(heads[0], 'verification');
  assert.equal(await page.textContent('[data-sort=verification] .long'), 'Verified');
  assert.equal(await page.getAttribute('[data-sort=verification]', 'aria-sort'), 'descending');
  assert.equal(await page.locator('.row').count(), 20);
  const order = await rowOrder(page);
  assert.equal(order[0], live, 'live is not first');
  assert.equal(order[1], error, 'no answer comes before not verified');
  assert.equal(order.at(-1), invalid, 'invalid is not last');
  const badges = await page.$$eval('.row .ver .badge:first-child', (bs) => bs.map((b) => b.textContent));
  assert.deepEqual(count(badges), want);
  const style = (i) => page.$eval(`.row[data-index="${i}"] .ver .badge`, (b) => {
    const s = getComputedStyle(b);
    return { weight: s.fontWeight, color: s.color, cls: b.className };
  });
  const [liveStyle, invalidStyle, errorStyle] = [await style(live), await style(invalid), await style(error)];
  assert.equal(liveStyle.weight, '700');
  assert.equal(liveStyle.color, await page.evaluate(() => {
    const probe = document.createElement('span');
    probe.style.color = 'var(--high)';
    document.body.append(probe);
    const c = getComputedStyle(probe).color;
    probe.remove();
    return c;
  }), 'live is not in the high (red) colour');
  assert.notEqual(invalidStyle.color, liveStyle.color);
  assert.notEqual(errorStyle.color, liveStyle.color);
  assert.equal(await page.textContent(`.row[data-index="${live}"] .ver .badge.right`), 'withdraw');
  assert.match(await page.getAttribute(`.row[data-index="${live}"] .ver`, 'title'), /octocat[\s\S]*can-withdraw/);

  // The chart counts each status; a bar shows only its findings, a second click all again.
  const bars = await page.$$eval('svg[data-chart=verification] .bar[data-key]', (gs) =>
    Object.fromEntries(gs.map((g) => [g.dataset.key, Number(g.dataset.count)])));
  assert.deepEqual(bars, want);
  assert.equal(await page.$eval('#charts .card h2', (h) => h.firstChild.textContent), 'By verification');
  await page.locator('svg[data-chart=verification] .bar[data-key=live]').click();
  assert.equal(await shown(page), 1);
  assert.deepEqual(await rowOrder(page), [live]);
  await page.locator('svg[data-chart=verification] .bar.on').click();
  assert.equal(await shown(page), 20);

  // The boxes: unchecking invalid hides it, and says so; Reset shows all again.
  assert.ok(await page.locator('#ver').isVisible());
  const boxes = await page.$$eval('#ver input', (cs) => cs.map((c) => c.value));
  assert.deepEqual(boxes, ['live', 'error', 'unverified', 'invalid']);
  await page.uncheck('#ver input[value=invalid]');
  assert.equal(await shown(page), 19);
  assert.equal(await page.locator('.row .ver .badge', { hasText: /^invalid$/ }).count(), 0);
  assert.equal(await page.locator(`.row[data-index="${invalid}"]`).count(), 0);
  await page.uncheck('#ver input[value=unverified]');
  assert.equal(await shown(page), 2);
  await page.locator('#facets button', { hasText: 'Reset' }).click();
  assert.equal(await shown(page), 20);
  assert.ok(await page.isChecked('#ver input[value=invalid]'));

  // Sorting by it both ways.
  await page.locator('[data-sort=location] button').click();
  assert.notEqual((await rowOrder(page))[0], live);
  await page.locator('[data-sort=verification] button').click();
  assert.equal((await rowOrder(page))[0], live);
  await page.locator('[data-sort=verification] button').click();
  assert.equal(await page.getAttribute('[data-sort=verification]', 'aria-sort'), 'ascending');
  assert.equal((await rowOrder(page))[0], invalid);
  assert.equal((await rowOrder(page)).at(-1), live);
  await page.locator('[data-sort=verification] button').click();
  assert.equal((await rowOrder(page))[0], live);
  await page.screenshot({ path: join(SHOTS, 'verified-1366x768.png') });

  // Details: the verification first, and what the key can do before all else.
  await page.locator(`.row[data-index="${live}"]`).click();
  const panel = page.locator('#detail');
  await panel.waitFor({ state: 'visible' });
  assert.equal(await panel.locator('.sec').first().textContent(), 'Verification');
  const risks = await panel.locator('.risk').allTextContents();
  assert.deepEqual(risks, ['can withdraw funds', 'can trade']);
  const text = await panel.textContent();
  for (const s of ['can withdraw', 'octocat', 'can-withdraw', 'can-trade', 'revoke it now']) {
    assert.ok(text.includes(s), `details lack ${s}`);
  }
  assert.ok(text.indexOf('can withdraw funds') < text.indexOf('Confidence'), 'rights after the rest');
  assert.deepEqual(await panel.locator('.perm').allTextContents(), ['can-withdraw', 'can-trade']);
  assert.equal(await panel.locator('.perm.danger').textContent(), 'can-withdraw');
  await page.screenshot({ path: join(SHOTS, 'verified-detail-1366x768.png') });
  await page.keyboard.press('Escape');
  await page.locator(`.row[data-index="${invalid}"]`).click();
  const dead = await panel.textContent();
  assert.ok(dead.includes('HTTP 401 Bad credentials') && dead.includes('rejected'), dead);
  assert.equal(await panel.locator('.risk').count(), 0);
  await page.keyboard.press('Escape');
  await page.locator(`.row[data-index="${error}"]`).click();
  assert.ok((await panel.textContent()).includes('HTTP 503 <img src=x onerror=__pwned=1>'));
  await page.keyboard.press('Escape');
  // One with none has no such section.
  const none = f.findIndex((x) => !x.verification);
  await page.locator(`.row[data-index="${none}"]`).click();
  assert.equal(await panel.locator('.sec', { hasText: 'Verification' }).count(), 0);
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('img').count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.deepEqual(errors, []);
  await context.close();

  const narrow = await open(url, { width: 390, height: 844 }, { isMobile: true, hasTouch: true });
  assert.equal((await rowOrder(narrow.page))[0], live);
  await narrow.page.screenshot({ path: join(SHOTS, 'verified-390x844.png') });
  assert.deepEqual(narrow.errors, []);
  await narrow.context.close();
});
