// Shared by the browser and SARIF checks: command line, running the CLI, the pass/fail tally.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** `--appaudit BIN [--artifacts DIR] INPUT...` */
export function parseArgs(argv) {
  const out = { appaudit: null, artifacts: null, inputs: [] };
  for (let i = 0; i < argv.length; ++i) {
    if (argv[i] === '--appaudit') out.appaudit = argv[++i];
    else if (argv[i] === '--artifacts') out.artifacts = argv[++i];
    else out.inputs.push(argv[i]);
  }
  if (!out.appaudit || out.inputs.length === 0) {
    throw new Error('usage: --appaudit BIN [--artifacts DIR] INPUT...');
  }
  return out;
}

// The same app type as the html_report test, so the necessary-PI rule has something to say.
export const SCAN_ARGS = ['--app-type', '浏览器'];

/** Runs `appaudit scan INPUT ARGS...` and returns its stdout (throws on a non-zero exit). */
export function scan(appaudit, input, args) {
  return execFileSync(appaudit, ['scan', input, ...SCAN_ARGS, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
}

export function jsonReport(appaudit, input) {
  return JSON.parse(scan(appaudit, input, []));
}

/** One line per case, then "N passed, N failed"; the exit code says whether all passed. */
export class Tally {
  passed = 0;
  failed = 0;
  report(name, problems, detail) {
    if (problems.length === 0) ++this.passed;
    else ++this.failed;
    const status = problems.length ? 'FAIL' : 'ok  ';
    console.log(`${status} ${name}: ${problems.length ? problems.join('; ') : detail}`);
  }
  finish() {
    console.log(`${this.passed} passed, ${this.failed} failed`);
    process.exitCode = this.failed ? 1 : 0;
  }
}

export const base = (p) => path.basename(p);
