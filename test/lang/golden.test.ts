/**
 * Diagnostic golden tests: every invalid input in test/golden/diagnostics gives exactly the
 * text output checked in beside it (scripts/accept-diagnostics.mjs regenerates them).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SourceFile } from "../../src/diag/diagnostic.js";
import { checkToText, CODES, readImportFromDisk } from "../../src/lang/index.js";

const dir = join(import.meta.dirname, "..", "golden", "diagnostics");
const inputs = readdirSync(dir)
  .filter((n) => n.endsWith(".pvop"))
  .sort();

describe("diagnostic golden files", () => {
  const cwd = process.cwd();
  // Names in the expected output are relative to the golden directory, as the accept script writes them.
  beforeAll(() => process.chdir(dir));
  afterAll(() => process.chdir(cwd));

  it("has at least 40 invalid inputs", () => {
    expect(inputs.length).toBeGreaterThanOrEqual(40);
  });

  for (const name of inputs) {
    it(name, () => {
      const output = checkToText(new SourceFile(name, readFileSync(name, "utf8")), { readImport: readImportFromDisk });
      expect(output).toBe(readFileSync(name.replace(/\.pvop$/, ".txt"), "utf8"));
      expect(output).toMatch(/\[PV\d{4}\]/);
    });
  }

  it("exercises every front-end diagnostic code", () => {
    const all = inputs.map((n) => readFileSync(join(dir, n.replace(/\.pvop$/, ".txt")), "utf8")).join("");
    const missing = Object.entries(CODES).filter(([, code]) => !all.includes(`[${code}]`));
    expect(missing).toEqual([]);
  });

  it("documents every diagnostic code in docs/language.md", () => {
    const doc = readFileSync(join(import.meta.dirname, "..", "..", "docs", "language.md"), "utf8");
    const missing = Object.entries(CODES).filter(([, code]) => !doc.includes(code));
    expect(missing).toEqual([]);
  });
});
