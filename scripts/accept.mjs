#!/usr/bin/env node
// `npm run accept`: regenerates every golden file from the current compiler — each example's
// build outputs under test/golden/<example>/, and the diagnostic goldens. Review the diff as code.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
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
const diagnostics = join(root, "scripts", "accept-diagnostics.mjs");
if (existsSync(diagnostics)) execFileSync(process.execPath, [diagnostics], { cwd: root, stdio: "inherit" });
