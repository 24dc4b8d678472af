// Each input's SARIF validated against the official OASIS SARIF 2.1.0 schema (vendored
// beside this file, see README.md) with ajv, plus what a schema cannot say: version "2.1.0",
// every result's ruleId among tool.driver.rules, ruleIndex pointing at that rule, and as many
// results as the JSON report has findings. First, the validator must reject broken logs, so
// this test can fail.
//
//   node sarif_schema.mjs --appaudit BIN INPUT...
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Ajv04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { parseArgs, scan, jsonReport, Tally, base } from './common.mjs';

// The OASIS file, byte for byte as vendored (README.md): an edit to it fails here.
const SCHEMA_SHA256 = 'c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e';
const schemaBytes = readFileSync(new URL('./sarif-schema-2.1.0.json', import.meta.url));
if (createHash('sha256').update(schemaBytes).digest('hex') !== SCHEMA_SHA256) {
  throw new Error('sarif-schema-2.1.0.json is not the vendored OASIS file (sha256 differs)');
}
const schema = JSON.parse(schemaBytes.toString('utf8'));

// The official 2.1.0 schema (errata01) is JSON Schema draft-04, hence ajv-draft-04. Strict
// mode stays on except strictRequired: the schema states alternatives as
// `anyOf: [{required: ["startLine"]}, ...]` beside the properties that define those names,
// valid JSON Schema that strictRequired flags because the subschema does not repeat them.
const ajv = new Ajv04({ strict: true, strictRequired: false, allErrors: true });
addFormats(ajv); // "uri", "uri-reference", "date-time" are checked, not ignored
const validate = ajv.compile(schema);

const errorsOf = (doc) =>
  validate(doc) ? [] : validate.errors.map((e) => `${e.instancePath || '/'} ${e.message}`);

/** Facts beyond the schema. */
function semanticProblems(sarif, report) {
  const problems = [];
  if (sarif.version !== '2.1.0') problems.push(`version ${sarif.version}`);
  if (sarif.runs.length !== 1) problems.push(`${sarif.runs.length} runs, expected 1`);
  const run = sarif.runs[0];
  const rules = run.tool.driver.rules ?? [];
  const ids = rules.map((r) => r.id);
  if (new Set(ids).size !== ids.length) problems.push('duplicate rule ids');
  for (const [i, res] of (run.results ?? []).entries()) {
    if (!ids.includes(res.ruleId)) problems.push(`result ${i}: ruleId ${res.ruleId} not a rule`);
    if (res.ruleIndex !== undefined && rules[res.ruleIndex]?.id !== res.ruleId) {
      problems.push(`result ${i}: ruleIndex ${res.ruleIndex} is not rule ${res.ruleId}`);
    }
  }
  const n = (run.results ?? []).length;
  if (n !== report.findings.length) {
    problems.push(`${n} results, the JSON report has ${report.findings.length} findings`);
  }
  return problems;
}

/** The validator must say no to logs that break the schema. */
function selfTest(tally, sample) {
  const broken = {
    'no version': (s) => delete s.version,
    'version 2.0.0': (s) => (s.version = '2.0.0'),
    'result level "fatal"': (s) => (s.runs[0].results[0].level = 'fatal'),
    'result without message': (s) => delete s.runs[0].results[0].message,
    'unknown top-level property': (s) => (s.extra = true),
  };
  for (const [what, breakIt] of Object.entries(broken)) {
    const doc = structuredClone(sample);
    breakIt(doc);
    tally.report(`rejects a log with ${what}`,
                 errorsOf(doc).length ? [] : ['the validator accepted it'], 'rejected');
  }
  const doc = structuredClone(sample);
  doc.runs[0].results[0].ruleId = 'no_such_rule';
  tally.report('rejects a result whose ruleId is not a rule',
               semanticProblems(doc, { findings: doc.runs[0].results }).length
                 ? [] : ['the semantic check accepted it'], 'rejected');
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const tally = new Tally();
  const logs = args.inputs.map((input) => ({
    input,
    sarif: JSON.parse(scan(args.appaudit, input, ['--format', 'sarif'])),
    report: jsonReport(args.appaudit, input),
  }));
  const sample = logs.find((l) => l.sarif.runs?.[0]?.results?.length)?.sarif;
  if (!sample) throw new Error('no input produced a SARIF result to break for the self-test');
  selfTest(tally, sample);
  for (const { input, sarif, report } of logs) {
    const schemaErrors = errorsOf(sarif);
    const problems = schemaErrors.length
      ? schemaErrors.slice(0, 10)
      : semanticProblems(sarif, report);
    tally.report(base(input), problems,
                 `valid SARIF 2.1.0, ${report.findings.length} results`);
  }
  tally.finish();
}

try {
  main();
} catch (e) {
  console.error(`sarif_schema: ${e.stack || e}`);
  process.exitCode = 1;
}
