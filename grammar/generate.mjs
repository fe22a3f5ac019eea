#!/usr/bin/env node
// Regenerates grammar/pvop.ebnf and grammar/pvop-diagrams.html from the parser (run after
// `npm run build`). test/lang/grammar.test.ts fails when they are out of date.
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { grammarDiagrams, grammarEbnf } from "../dist/lang/grammar-doc.js";

const dir = dirname(fileURLToPath(import.meta.url));
writeFileSync(join(dir, "pvop.ebnf"), grammarEbnf());
writeFileSync(join(dir, "pvop-diagrams.html"), grammarDiagrams());
console.log("grammar/pvop.ebnf and grammar/pvop-diagrams.html regenerated");
