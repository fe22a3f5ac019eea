#!/usr/bin/env node
// `npm run accept`: regenerates every golden file from the current compiler — each example's
// build outputs under test/golden/<example>/, the diagnostic goldens and grammar/'s generated
// description of the parser. Review the diff as code.
import { execFileSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
execFileSync("npx", ["tsc", "-p", "."], { cwd: root, stdio: "inherit" });
for (const file of readdirSync(join(root, "examples")).filter((f) => f.endsWith(".pvop")).sort()) {
  const out = join("test", "golden", basename(file, ".pvop"));
  rmSync(join(root, out), { recursive: true, force: true });
  execFileSync(join(root, "bin", "pvopc"), ["build", join("examples", file), "-o", out, "-q"], { cwd: root, stdio: "inherit" });
  process.stdout.write(`accepted ${out}\n`);
}
// The diagnostic goldens and the grammar description are generated from the same build.
for (const script of [join("scripts", "accept-diagnostics.mjs"), join("grammar", "generate.mjs")]) {
  execFileSync(process.execPath, [join(root, script)], { cwd: root, stdio: "inherit" });
}
