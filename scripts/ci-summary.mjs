#!/usr/bin/env node
// Prints the `N passed, N failed[, N skipped]` line CI reads, from vitest's JSON report.
// A non-zero exit with no failed test (a suite that failed to load, a step before vitest) still
// counts as one failure, so a red run can never print "0 failed".
import { existsSync, readFileSync } from 'node:fs';

const [reportPath = '.ci-vitest.json', exitCode = '0'] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(reportPath)) {
  const report = JSON.parse(readFileSync(reportPath, 'utf8'));
  passed = report.numPassedTests;
  failed = report.numFailedTests;
  skipped = report.numPendingTests + report.numTodoTests;
}
if (exitCode !== '0' && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
