// The dashboard end to end, against the real server: starts `appaudit serve` on a free
// loopback port with a fresh data folder and users made by `appaudit user add`, then drives
// Debian's headless Chromium (playwright-core) through sign-in, an upload with its progress
// bar until the scan is done, a finding's evidence, the review, a case taken through its
// workflow (order with a deadline, a new version and a recheck, public notice, takedown),
// the overview's charts, search, the notice export, an enterprise user's view, the zh/en
// switch, and the return to sign-in on a 401. Fails on any console error, page error, failed
// request or HTTP error the step did not expect, and on any request that is not to the server.
// Full-page screenshots of each step go to the artifacts folder.
//
//   node web/tests/e2e.mjs --appaudit BIN --web-dir web/dist --artifacts DIR APK_V1 APK_V2
// or APPAUDIT_BIN, APPAUDIT_WEB_DIR, APPAUDIT_ARTIFACTS, APPAUDIT_E2E_APKS (colon-separated).
// APK_V1 and APK_V2 are two builds of one package (the fixtures an_sdk and an_policy_full).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');

function parseArgs(argv) {
  const out = {
    appaudit: process.env.APPAUDIT_BIN ?? path.join(repo, 'build/bin/appaudit'),
    webDir: process.env.APPAUDIT_WEB_DIR ?? path.join(repo, 'web/dist'),
    artifacts: process.env.APPAUDIT_ARTIFACTS ?? path.join(repo, 'build/artifacts/dashboard'),
    apks: (process.env.APPAUDIT_E2E_APKS ?? '').split(':').filter(Boolean),
    keep: false,
  };
  const positional = [];
  for (let i = 0; i < argv.length; ++i) {
    if (argv[i] === '--appaudit') out.appaudit = argv[++i];
    else if (argv[i] === '--web-dir') out.webDir = argv[++i];
    else if (argv[i] === '--artifacts') out.artifacts = argv[++i];
    else if (argv[i] === '--keep') out.keep = true;
    else positional.push(argv[i]);
  }
  if (positional.length) out.apks = positional;
  if (out.apks.length !== 2) throw new Error('usage: e2e.mjs [--appaudit BIN] [--web-dir DIR] [--artifacts DIR] APK_V1 APK_V2');
  for (const f of [out.appaudit, path.join(out.webDir, 'index.html'), ...out.apks]) {
    if (!existsSync(f)) throw new Error(`missing: ${f}`);
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
mkdirSync(args.artifacts, { recursive: true });
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'appaudit-e2e-'));

// ---- the server ----

function addUser(name, ...rest) {
  const out = execFileSync(args.appaudit, ['user', 'add', name, ...rest, '--data-dir', dataDir], { encoding: 'utf8' });
  const token = out.trim().split('\n').pop().trim();
  if (!/^[0-9a-f]{64}$/.test(token)) throw new Error(`user add ${name}: no token on the last line: ${out}`);
  return token;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const regulatorToken = addUser('regina', '--role', 'regulator');
const enterpriseToken = addUser('eve', '--role', 'enterprise', '--enterprise', 'Acme Ltd');
const otherEnterpriseToken = addUser('olga', '--role', 'enterprise', '--enterprise', 'Other Co');
const distributorToken = addUser('dan', '--role', 'distributor', '--distributor', 'AppStore X');
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const serverLog = [];
const server = spawn(args.appaudit, ['serve', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, '--web-dir', args.webDir], {
  stdio: ['ignore', 'pipe', 'pipe'],
});
server.stdout.on('data', (d) => serverLog.push(String(d)));
server.stderr.on('data', (d) => serverLog.push(String(d)));
let serverExited = null;
server.on('exit', (code, signal) => (serverExited = `exit ${code ?? signal}`));

async function waitForServer() {
  for (let i = 0; i < 300; ++i) {
    if (serverExited) throw new Error(`the server stopped (${serverExited}):\n${serverLog.join('')}`);
    try {
      const res = await fetch(`${base}/api/v1/health`);
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  throw new Error(`the server did not answer /api/v1/health within 30 s:\n${serverLog.join('')}`);
}

/** The API as the test sees it, for checking what the UI did. */
async function api(pathname, token = regulatorToken) {
  const res = await fetch(`${base}/api/v1/${pathname}`, { headers: { Authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET ${pathname}: ${res.status} ${await res.text()}`);
  return res.json();
}

// ---- the browser, and what counts as a problem ----

const problems = [];
let step = 'start';
/** HTTP statuses the current step expects (e.g. a 401 while checking the sign-in). */
let expected = new Set();

function watch(page) {
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = m.text();
    // Chromium logs every 4xx/5xx response as a console error; expected ones are fine.
    const st = /status of (\d{3})/.exec(text);
    if (st && expected.has(Number(st[1]))) return;
    problems.push(`[${step}] console error: ${text}`);
  });
  page.on('pageerror', (e) => problems.push(`[${step}] page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    const err = r.failure()?.errorText ?? '';
    // A blob: download, or a poll cut short by navigation, is not a failure of the app.
    if (r.url().startsWith('blob:') || err === 'net::ERR_ABORTED') return;
    problems.push(`[${step}] request failed: ${r.method()} ${r.url()} ${err}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !expected.has(r.status())) problems.push(`[${step}] HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
}

async function newContext(browser) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true, locale: 'zh-CN' });
  // Only the server may be asked for anything: no CDN, no fonts, no telemetry.
  await context.route('**/*', (route) => {
    const u = route.request().url();
    if (u.startsWith(base) || u.startsWith('blob:') || u.startsWith('data:')) return route.continue();
    problems.push(`[${step}] request to elsewhere blocked: ${u}`);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  watch(page);
  return { context, page };
}

let passed = 0;
let failed = 0;
async function check(name, fn) {
  step = name;
  const before = problems.length;
  try {
    await fn();
    if (problems.length > before) throw new Error(problems.slice(before).join('; '));
    ++passed;
    console.log(`ok   ${name}`);
  } catch (e) {
    ++failed;
    console.log(`FAIL ${name}: ${e.message.split('\n')[0]}`);
    if (e.message.includes('\n')) console.log(e.message.split('\n').slice(1, 8).join('\n'));
  } finally {
    expected = new Set();
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}
async function shot(page, name) {
  await page.waitForTimeout(150); // let charts and layout settle
  await page.screenshot({ path: path.join(args.artifacts, `${name}.png`), fullPage: true });
}
const text = (page) => page.evaluate(() => document.body.innerText.replace(/\s+/g, ' '));

/** Uploads a file on the upload page and waits for its scan; returns the scan id. */
async function uploadApk(page, file, extra = {}) {
  await page.goto(`${base}/#/upload`);
  await page.locator('#upload-file').setInputFiles(file);
  if (extra.enterprise !== undefined) await page.locator('#upload-enterprise').fill(extra.enterprise);
  if (extra.channel) await page.locator('#upload-channel').fill(extra.channel);
  await page.locator('#upload-submit').click();
  await page.locator('#scan-state[data-status]').waitFor({ timeout: 180_000 });
  const status = await page.locator('#scan-state').getAttribute('data-status');
  assert(status === 'done', `scan ended ${status}: ${await page.locator('#scan-state').innerText()}`);
  const progress = await page.locator('#upload-progress').evaluate((el) => el.value);
  assert(progress === 100, `progress bar at ${progress}, not 100`);
  const href = await page.locator('#scan-state a').first().getAttribute('href');
  const id = Number(/#\/scans\/(\d+)/.exec(href)?.[1]);
  assert(id > 0, `no link to the scan: ${href}`);
  return id;
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});

let exitCode = 1;
try {
  await waitForServer();
  const { page } = await newContext(browser);
  let scanId = 0;
  let appId = 0;
  let finding = null;
  let caseId = 0;

  await check('sign-in page first, in Chinese', async () => {
    await page.goto(`${base}/`);
    await page.locator('#token').waitFor();
    assert((await page.evaluate(() => document.documentElement.lang)) === 'zh-CN', 'html lang is not zh-CN');
    assert((await text(page)).includes('登录'), 'no 登录 on the sign-in page');
    await shot(page, '01-signin.zh');
  });

  await check('a wrong token is refused', async () => {
    expected = new Set([401]);
    await page.locator('#token').fill('0'.repeat(64));
    await page.locator('#signin-submit').click();
    await page.getByText('令牌无效').waitFor();
    assert(!(await page.evaluate(() => sessionStorage.getItem('appaudit.token'))), 'a wrong token was kept');
  });

  await check('sign in with the regulator token', async () => {
    await page.locator('#token').fill(regulatorToken);
    await page.locator('#signin-submit').click();
    await page.locator('[data-counter=apps_tested]').waitFor();
    assert((await text(page)).includes('regina'), "the user's name is not shown");
  });

  await check('upload an APK with a progress bar, scan to done', async () => {
    scanId = await uploadApk(page, args.apks[0], { enterprise: 'Acme Ltd', channel: 'AppStore X' });
    await shot(page, '02-upload-done.zh');
  });

  await check('the scan page lists the findings of the report', async () => {
    await page.locator('#scan-state a', { hasText: '查看结果' }).click();
    await page.locator('table.findings').waitFor();
    const scan = await api(`scans/${scanId}`);
    assert(scan.status === 'done' && scan.report, 'the API has no report for the scan');
    const rows = await page.locator('table.findings tbody tr').count();
    assert(rows === scan.report.findings.length, `${rows} rows, the report has ${scan.report.findings.length} findings`);
    assert(rows > 0, 'the fixture should have findings');
    for (const f of scan.report.findings) assert((await text(page)).includes(f.title_zh), `title not shown: ${f.title_zh}`);
    appId = scan.app.id;
    await shot(page, '03-scan.zh');
  });

  await check("a finding's evidence, call paths readable", async () => {
    const list = await api(`scans/${scanId}/findings?limit=500`);
    // The finding with the longest witness path makes the best evidence check.
    const pathLen = (f) => Math.max(0, ...f.finding.evidence.map((e) => e.path?.length ?? 0));
    finding = [...list.items].sort((a, b) => pathLen(b) - pathLen(a))[0];
    assert(pathLen(finding) > 0, 'no finding has a witness path');
    await page.locator(`tr[data-finding-id="${finding.id}"] a`, { hasText: '查看证据' }).click();
    await page.locator('ol.evidence-list').waitFor();
    const items = await page.locator('li.evidence').count();
    assert(items === finding.finding.evidence.length, `${items} evidence items shown, ${finding.finding.evidence.length} in the finding`);
    const ev = finding.finding.evidence.find((e) => e.path?.length === pathLen(finding));
    const i = finding.finding.evidence.indexOf(ev);
    const frames = page.locator('li.evidence').nth(i).locator('ol.callpath > li');
    assert((await frames.count()) === ev.path.length, `${await frames.count()} frames shown, the path has ${ev.path.length}`);
    // Each frame is shown as a Java-like name, with the exact descriptor on hover.
    for (let k = 0; k < ev.path.length; ++k) {
      if (ev.path[k] === '...') continue;
      const m = frames.nth(k).locator('code.method');
      assert((await m.getAttribute('title')) === ev.path[k], `frame ${k}: descriptor ${ev.path[k]} not kept`);
      const shown = await m.innerText();
      assert(!shown.includes('->') && !shown.includes(';'), `frame ${k} not readable: ${shown}`);
      const cls = /^L([^;]+);->([^(]+)/.exec(ev.path[k]);
      if (cls) assert(shown.startsWith(`${cls[1].replaceAll('/', '.')}.${cls[2]}(`), `frame ${k}: ${shown} for ${ev.path[k]}`);
    }
    // Each piece of evidence's sentence, descriptors made readable, the exact text on hover.
    const titles = await page.locator('li.evidence .evidence-text').evaluateAll((els) => els.map((e) => e.title));
    assert(JSON.stringify(titles) === JSON.stringify(finding.finding.evidence.map((e) => e.text)), 'evidence texts differ from the finding');
    const shownText = await page.locator('li.evidence .evidence-text').first().innerText();
    assert(!shownText.includes('->'), `evidence text not readable: ${shownText}`);
    await shot(page, '04-evidence.zh');
  });

  await check('confirm the finding with a reason', async () => {
    await page.locator('.review-cell button[data-action=confirmed]').click();
    await page.locator('.review-form input[name=reason]').fill('调用路径已人工复核');
    await page.locator('.review-form button[type=submit]').click();
    await page.locator('.review-cell .rv-confirmed').waitFor();
    const list = await api(`scans/${scanId}/findings?limit=500`);
    const f = list.items.find((x) => x.id === finding.id);
    assert(f.review?.state === 'confirmed', `review in the API: ${JSON.stringify(f.review)}`);
    assert(f.review.reason === '调用路径已人工复核', `reason in the API: ${f.review.reason}`);
  });

  await check('the app: versions, SDKs, PI collections, open a case', async () => {
    await page.goto(`${base}/#/apps/${appId}`);
    await page.locator('#versions-table').waitFor();
    await page.locator('#collections-table').waitFor();
    const scan = await api(`scans/${scanId}`);
    for (const s of scan.report.sdks) assert((await text(page)).includes(s.name_zh), `SDK not shown: ${s.name_zh}`);
    await shot(page, '05-app.zh');
    const box = page.locator(`tr[data-finding-id="${finding.id}"] input.select-finding`);
    assert(await box.isChecked(), 'the confirmed finding is not preselected for a case');
    await page.locator('#case-note').fill('启动时未经同意收集个人信息');
    await page.locator('#open-case').click();
    await page.waitForURL(/#\/cases\/\d+$/);
    caseId = Number(/cases\/(\d+)$/.exec(page.url())[1]);
    await page.locator('.badge.st-open').first().waitFor();
  });

  await check('order rectification with a deadline', async () => {
    await page.locator('.case-actions button[data-action=order]').click();
    const date = page.locator('.action-form input[name=deadline]');
    const value = await date.inputValue();
    assert(/^\d{4}-\d{2}-\d{2}$/.test(value), `no default deadline: ${value}`);
    await page.locator('.action-form input[name=note]').fill('请于期限内整改');
    await page.locator('.action-form button[type=submit]').click();
    await page.locator('.page-head .badge.st-rectifying').waitFor();
    const c = await api(`cases/${caseId}`);
    assert(c.status === 'rectifying', `case status ${c.status}`);
    const [y, m, d] = value.split('-').map(Number);
    const want = new Date(y, m - 1, d, 23, 59, 59).getTime();
    assert(Math.abs(c.deadline - want) < 86400_000, `deadline ${c.deadline}, chose ${value}`);
    await shot(page, '06-case-ordered.zh');
    await page.goto(`${base}/#/cases`);
    await page.locator(`.column[data-status=rectifying] [data-case-id="${caseId}"] button[data-action=notify]`).waitFor();
    await shot(page, '06b-cases-board.zh');
  });

  /** Signs a user in on a fresh page of their own. */
  async function signIn(token) {
    const ctx = await newContext(browser);
    await ctx.page.goto(`${base}/`);
    await ctx.page.locator('#token').fill(token);
    await ctx.page.locator('#signin-submit').click();
    await ctx.page.locator('[data-counter=apps_tested]').waitFor();
    return ctx;
  }
  let store = null;

  await check('an app store sends a new version, the regulator rechecks, the diff', async () => {
    store = await signIn(distributorToken);
    assert((await store.page.locator('header nav a[data-nav=cases]').count()) === 0, 'a distributor sees the cases link');
    await uploadApk(store.page, args.apks[1]);
    assert((await store.page.locator('#upload-enterprise').count()) === 0, 'a distributor is asked for an enterprise');
    await shot(store.page, '07a-distributor-upload.zh');
    await page.goto(`${base}/#/cases/${caseId}`);
    await page.locator('.case-actions button[data-action=recheck]').click();
    await page.locator('#recheck-result').waitFor();
    const c = await api(`cases/${caseId}`);
    assert(c.recheck, 'no recheck in the API');
    assert(c.recheck.remaining.includes(finding.rule) || c.recheck.fixed.includes(finding.rule), `recheck names neither way ${finding.rule}`);
    await shot(page, '07-case-rechecked.zh');
    await page.goto(`${base}/#/apps/${appId}`);
    await page.locator('#diff-run').click();
    await page.locator('#diff-result').waitFor();
    await shot(page, '08-diff.zh');
  });

  await check('notify publicly, then take down', async () => {
    const c = await api(`cases/${caseId}`);
    if (c.status !== 'rectifying') throw new Error(`after the recheck the case is ${c.status}; the fixture's second version should keep ${finding.rule}`);
    await page.goto(`${base}/#/cases/${caseId}`);
    await page.locator('.case-actions button[data-action=notify]').click();
    await page.locator('.action-form input[name=note]').fill('逾期未整改，予以通报');
    await page.locator('.action-form button[type=submit]').click();
    await page.locator('.page-head .badge.st-notified').waitFor();
    await page.locator('.case-actions button[data-action=takedown]').click();
    await page.locator('.action-form button[type=submit]').click();
    await page.locator('.page-head .badge.st-taken_down').waitFor();
    const after = await api(`cases/${caseId}`);
    assert(after.status === 'taken_down', `case status ${after.status}`);
    assert((await page.locator('#case-history li').count()) === after.history.length, 'history not shown in full');
    await shot(page, '09-case-taken-down.zh');
  });

  await check('the app store sees its takedown notice', async () => {
    assert(store, 'no distributor session');
    await store.page.goto(`${base}/#/notices`);
    await store.page.locator('#notices-table').waitFor();
    const notices = await api('notices', distributorToken);
    assert(notices.items.length === 1, `the distributor has ${notices.items.length} notices`);
    assert((await store.page.locator('#notices-table tbody tr').count()) === 1, 'the notice is not listed');
    await shot(store.page, '09b-distributor-notices.zh');
    await store.context.close();
  });

  await check('the case board has the case in its column', async () => {
    await page.goto(`${base}/#/cases`);
    await page.locator(`.column[data-status=taken_down] [data-case-id="${caseId}"]`).waitFor();
    await shot(page, '10-cases.zh');
  });

  await check('a case past its deadline is flagged overdue', async () => {
    // Review another finding on the app page, open a second case, order with yesterday as deadline.
    await page.goto(`${base}/#/apps/${appId}`);
    await page.locator('table.findings').waitFor();
    const row = page.locator('table.findings tbody tr[data-rule=immutable_device_id]').first();
    await row.locator('button[data-action=confirmed]').click();
    await row.locator('.review-form input[name=reason]').fill('设备标识读取已复核');
    await row.locator('.review-form button[type=submit]').click();
    await row.locator('.rv-confirmed').waitFor();
    assert(await row.locator('input.select-finding').isChecked(), 'a finding confirmed in place is not selected for the case');
    await page.locator('#open-case').click();
    await page.waitForURL(/#\/cases\/\d+$/);
    const id = Number(/cases\/(\d+)$/.exec(page.url())[1]);
    assert(id !== caseId, 'the same case again');
    await page.locator('.case-actions button[data-action=order]').click();
    const d = new Date(Date.now() - 2 * 86400_000);
    const yesterday = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    await page.locator('.action-form input[name=deadline]').fill(yesterday);
    await page.locator('.action-form button[type=submit]').click();
    await page.locator('.page-head .badge.overdue').waitFor();
    const c = await api(`cases/${id}`);
    assert(c.overdue === true && c.status === 'rectifying', `the API says overdue=${c.overdue}, status ${c.status}`);
    await page.goto(`${base}/#/cases`);
    await page.locator(`.column[data-status=rectifying] [data-case-id="${id}"].is-overdue .badge.overdue`).waitFor();
    await page.locator('#overdue-only').check();
    await page.waitForURL(/overdue=1/);
    await page.locator(`[data-case-id="${id}"]`).waitFor();
    assert((await page.locator(`[data-case-id="${caseId}"]`).count()) === 0, 'the taken-down case is listed as overdue');
    await shot(page, '10b-cases-overdue.zh');
  });

  await check('overview: counters and charts from /stats', async () => {
    await page.goto(`${base}/#/`);
    await page.locator('[data-counter=apps_tested]').waitFor();
    const stats = await api('stats');
    for (const [k, v] of Object.entries({ apps_tested: stats.apps_tested, ordered_to_rectify: stats.ordered_to_rectify, publicly_notified: stats.publicly_notified, taken_down: stats.taken_down })) {
      const shown = await page.locator(`[data-counter=${k}] .value`).innerText();
      assert(shown.replace(/,/g, '') === String(v), `${k}: shown ${shown}, API ${v}`);
    }
    assert(stats.apps_tested >= 1 && stats.ordered_to_rectify >= 1, `stats do not count the workflow: ${JSON.stringify(stats)}`);
    assert(stats.by_category.length > 0, 'no findings by category');
    assert((await page.locator('#chart-category canvas').count()) > 0, 'no category chart');
    assert((await page.locator('#chart-month canvas').count()) > 0, 'no month chart');
    await shot(page, '11-overview.zh');
  });

  await check('the public notice export downloads', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export-html').click()]);
    const file = path.join(args.artifacts, 'notice.html');
    await download.saveAs(file);
    const html = (await import('node:fs')).readFileSync(file, 'utf8');
    assert(html.includes('应用名称'), 'the notice lacks its 应用名称 column');
    const [xlsx] = await Promise.all([page.waitForEvent('download'), page.locator('#export-xlsx').click()]);
    await xlsx.saveAs(path.join(args.artifacts, 'notice.xlsx'));
  });

  await check('app search and filters', async () => {
    await page.goto(`${base}/#/apps`);
    await page.locator('#app-search').fill('fx.sdk');
    await page.locator('#app-search').press('Enter');
    await page.waitForURL(/q=fx.sdk/);
    await page.locator(`#apps-table a[href="#/apps/${appId}"]`).waitFor();
    await shot(page, '12-apps.zh');
    await page.locator('#app-search').fill('no-such-app-anywhere');
    await page.locator('#app-search').press('Enter');
    await page.getByText('没有符合条件的应用').waitFor();
  });

  await check('enterprises and distributors', async () => {
    await page.goto(`${base}/#/enterprises`);
    await page.locator('#enterprises-table').getByText('Acme Ltd').waitFor();
    await shot(page, '13-enterprises.zh');
    await page.goto(`${base}/#/distributors`);
    await page.locator('h1').waitFor();
    await page.goto(`${base}/#/notices`);
    await page.locator('h1').waitFor();
  });

  await check('English switch, remembered', async () => {
    await page.goto(`${base}/#/`);
    await page.locator('[data-counter=apps_tested]').waitFor();
    await page.locator('#lang-switch').click();
    await page.getByText('Apps tested').waitFor();
    assert((await page.evaluate(() => document.documentElement.lang)) === 'en', 'html lang is not en');
    await page.reload();
    await page.getByText('Apps tested').waitFor();
    const t = await text(page);
    assert(!/[\u4e00-\u9fff]/.test(t.replace(/中文/g, '')), `Chinese left on the English overview: ${t.match(/[\u4e00-\u9fff]+/g)?.slice(0, 5)}`);
    await shot(page, '14-overview.en');
    await page.goto(`${base}/#/scans/${scanId}/findings/${finding.id}`);
    await page.locator('ol.evidence-list').waitFor();
    assert((await text(page)).includes(finding.finding.title), 'English finding title missing');
    await shot(page, '15-evidence.en');
    await page.goto(`${base}/#/cases`);
    await page.locator('.board').waitFor();
    await shot(page, '16-cases.en');
    await page.locator('#lang-switch').click();
    await page.getByText('整治案件').first().waitFor();
  });

  await check('a token that stops working sends you to sign-in', async () => {
    expected = new Set([401]);
    await page.evaluate(() => sessionStorage.setItem('appaudit.token', 'f'.repeat(64)));
    await page.goto(`${base}/#/apps`); // the next request of the running page gets a 401
    await page.locator('#token').waitFor();
    assert((await text(page)).includes('登录已失效'), 'no message that the session ended');
  });

  await check("an enterprise user sees its own apps, not another's", async () => {
    const own = await newContext(browser);
    await own.page.goto(`${base}/`);
    await own.page.locator('#token').fill(enterpriseToken);
    await own.page.locator('#signin-submit').click();
    await own.page.locator('[data-counter=apps_tested]').waitFor();
    assert((await own.page.locator('header nav a[data-nav=enterprises]').count()) === 0, 'an enterprise user sees the enterprises page link');
    await own.page.goto(`${base}/#/apps`);
    await own.page.locator(`#apps-table a[href="#/apps/${appId}"]`).waitFor();
    await shot(own.page, '17-enterprise-apps.zh');
    await own.context.close();
    const other = await newContext(browser);
    await other.page.goto(`${base}/`);
    await other.page.locator('#token').fill(otherEnterpriseToken);
    await other.page.locator('#signin-submit').click();
    await other.page.locator('[data-counter=apps_tested]').waitFor();
    await other.page.goto(`${base}/#/apps`);
    await other.page.getByText('没有符合条件的应用').waitFor();
    await other.context.close();
  });

  exitCode = failed ? 1 : 0;
} catch (e) {
  console.log(`FAIL ${step}: ${e.stack ?? e}`);
  ++failed;
} finally {
  await browser.close();
  server.kill('SIGTERM');
  await Promise.race([new Promise((r) => server.once('exit', r)), sleep(5000)]);
  if (!serverExited) server.kill('SIGKILL');
  if (failed) console.log(`server output:\n${serverLog.join('').split('\n').slice(-30).join('\n')}`);
  if (!args.keep) rmSync(dataDir, { recursive: true, force: true });
  else console.log(`data folder kept: ${dataDir}`);
  console.log(`${passed} passed, ${failed} failed; screenshots in ${args.artifacts}`);
  process.exitCode = failed ? 1 : exitCode;
}
