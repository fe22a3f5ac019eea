/** grammar/ is generated from the parser: regenerate and compare (grammar/generate.mjs updates it). */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { grammarDiagrams, grammarEbnf } from "../../src/lang/grammar-doc.js";
import { PvopParser } from "../../src/lang/parser.js";

const dir = join(import.meta.dirname, "..", "..", "grammar");

describe("grammar documentation", () => {
  const parser = new PvopParser();
  it("pvop.ebnf matches the parser", () => {
    expect(readFileSync(join(dir, "pvop.ebnf"), "utf8")).toBe(grammarEbnf(parser));
  });
  it("pvop-diagrams.html matches the parser", () => {
    expect(readFileSync(join(dir, "pvop-diagrams.html"), "utf8")).toBe(grammarDiagrams(parser));
  });
  it("names every parser rule in the EBNF", () => {
    const ebnf = grammarEbnf(parser);
    for (const rule of Object.keys(parser.getGAstProductions())) {
      const snake = rule.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      expect(ebnf).toMatch(new RegExp(`^${snake} = `, "m"));
    }
  });
});
