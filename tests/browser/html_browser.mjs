// The HTML report as a reader sees it: each input's report, in both languages, opened in
// Debian's headless Chromium (playwright-core, no browser download). Fails on any request
// other than the report file itself, on any console error, on a page wider than the window,
// or when the rendered text lacks what the JSON report says: every finding's title in the
// page's language, each SDK's name, each requested permission, each rule of the coverage.
// A full-page screenshot of each (and the HTML itself) is kept in the artifacts folder.
//
//   node html_browser.mjs --appaudit BIN --artifacts DIR INPUT...
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { parseArgs, scan, jsonReport, Tally, base } from './common.mjs';

const CHROMIUM = '/usr/bin/chromium';
const LANGS = ['zh-CN', 'en'];

const squash = (s) => s.replace(/\s+/g, ' ').trim();

/** What the rendered text must contain, from the JSON report, for one language. */
function expectedTexts(report, lang) {
  const zh = lang === 'zh-CN';
  const want = [];
  for (const f of report.findings) want.push(['finding title', zh ? f.title_zh : f.title]);
  for (const s of report.sdks) want.push(['SDK', zh ? s.name_zh : s.name]);
  for (const p of report.permissions) want.push(['permission', p.name]);
  for (const c of report.rule_coverage) want.push(['coverage rule', c.rule]);
  return want;
}

/** Opens htmlFile, returns what is wrong with it, and leaves a screenshot in pngFile. */
async function checkPage(browser, htmlFile, lang, want, pngFile) {
  const url = pathToFileURL(htmlFile).href;

  const problems = [];
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  // Every request goes through here; only the report itself may load.
  await context.route('**/*', (route) => {
    const u = route.request().url();
    if (u === url) return route.continue();
    problems.push(`request blocked: ${u}`);
    return route.abort('blockedbyclient');
  });
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    if (r.url() === url) problems.push(`the report failed to load: ${r.failure()?.errorText}`);
  });

  const response = await page.goto(url, { waitUntil: 'load' });
  if (!response) problems.push('no response for the report file');
  const seen = await page.evaluate(() => ({
    text: document.body.innerText,
    lang: document.documentElement.lang,
    pageWidth: document.documentElement.scrollWidth,
    windowWidth: document.documentElement.clientWidth,
  }));
  if (seen.lang !== lang) problems.push(`<html lang="${seen.lang}">, asked for ${lang}`);
  if (seen.pageWidth > seen.windowWidth) {
    problems.push(`page ${seen.pageWidth}px wide in a ${seen.windowWidth}px window (overflow)`);
  }
  const text = squash(seen.text);
  for (const [what, t] of want) {
    if (!t) problems.push(`JSON report has an empty ${what}`);
    else if (!text.includes(squash(t))) problems.push(`${what} not shown: ${t}`);
  }
  await page.screenshot({ path: pngFile, fullPage: true });
  await context.close();
  return problems;
}

async function checkOne(browser, args, input, report, lang) {
  const name = `${base(input)}.${lang}`;
  const htmlFile = path.resolve(args.artifacts, `${name}.html`);
  const pngFile = path.resolve(args.artifacts, `${name}.png`);
  writeFileSync(htmlFile, scan(args.appaudit, input, ['--format', 'html', '--lang', lang]));
  const want = expectedTexts(report, lang);
  const problems = await checkPage(browser, htmlFile, lang, want, pngFile);
  return [name, problems, `${want.length} texts shown, screenshot ${pngFile}`];
}

/** A page with every defect checked for must be caught on each, so this test can fail. */
async function selfTest(browser, args, tally) {
  const htmlFile = path.resolve(args.artifacts, 'selftest.html');
  writeFileSync(htmlFile, `<!DOCTYPE html><html lang="de"><body>
    <img src="http://127.0.0.1:9/x.png"><script>console.error('selftest')</script>
    <div style="width:4000px">wide</div></body></html>`);
  const problems = await checkPage(browser, htmlFile, 'en', [['finding title', 'Not there']],
                                   path.resolve(args.artifacts, 'selftest.png'));
  const caught = ['request blocked', 'console error', 'overflow', '<html lang', 'not shown'];
  const missed = caught.filter((c) => !problems.some((p) => p.includes(c)));
  tally.report('catches a bad page', missed.map((c) => `did not report "${c}"`),
               `${problems.length} problems reported`);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!args.artifacts) throw new Error('--artifacts DIR is required');
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (scripts/setup.sh)`);
  }
  // Without a CJK font the zh-CN screenshot shows boxes where the text should be.
  if (!execFileSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' }).trim()) {
    throw new Error('no Chinese font (fc-list :lang=zh): bash scripts/setup.sh installs one');
  }
  mkdirSync(args.artifacts, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox'],
  });
  const tally = new Tally();
  try {
    await selfTest(browser, args, tally);
    for (const input of args.inputs) {
      const report = jsonReport(args.appaudit, input);
      for (const lang of LANGS) {
        tally.report(...(await checkOne(browser, args, input, report, lang)));
      }
    }
  } finally {
    await browser.close();
  }
  tally.finish();
}

main().catch((e) => {
  console.error(`html_browser: ${e.stack || e}`);
  process.exitCode = 1;
});
