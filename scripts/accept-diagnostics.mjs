#!/usr/bin/env node
// Regenerates test/golden/diagnostics/*.txt: the text `pvopc check` prints for each invalid
// input beside it. Run after `npm run build`; review the diff before committing it.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SourceFile } from "../dist/diag/diagnostic.js";
import { checkToText, readImportFromDisk } from "../dist/lang/index.js";

const dir = join(dirname(fileURLToPath(import.meta.url)), "..", "test", "golden", "diagnostics");
// Names in the output are relative to the golden directory, so the files do not depend on cwd.
process.chdir(dir);
let changed = 0;
for (const name of readdirSync(".").filter((n) => n.endsWith(".pvop")).sort()) {
  const output = checkToText(new SourceFile(name, readFileSync(name, "utf8")), { readImport: readImportFromDisk });
  const expected = name.replace(/\.pvop$/, ".txt");
  let previous;
  try {
    previous = readFileSync(expected, "utf8");
  } catch {
    previous = undefined;
  }
  if (previous !== output) {
    writeFileSync(expected, output);
    changed++;
    console.log(`updated ${expected}`);
  }
}
console.log(`${changed} golden diagnostic file(s) updated`);
