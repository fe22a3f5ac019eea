/**
 * Differential test (1): every row of the table, aliases included, in every operand shape the
 * generator knows (registers of each width, each addressing shape, each immediate boundary),
 * assembled by GNU as and by pvopc; the bytes of every line must agree, and so must the set of
 * lines each assembler rejects.
 */
import { describe, expect, test } from "vitest";
import { assemble } from "../../src/asm/assembler.js";
import { SourceFile } from "../../src/diag/diagnostic.js";
import { FORMS } from "../../src/x86/table.js";
import { corpus } from "../support/gen.js";
import { compareWithGnu } from "./compare.js";

describe("table corpus against GNU as", () => {
  const lines = corpus();
  const source = lines.join("\n") + "\n";
  const result = assemble(new SourceFile("corpus.s", source));

  test("the corpus is large and every line agrees byte for byte", () => {
    expect(lines.length).toBeGreaterThan(20000);
    const mismatches = compareWithGnu(source, result);
    expect(mismatches.slice(0, 20)).toEqual([]);
  });

  test("every row of the table is chosen by at least one line", () => {
    const chosen = new Set(result.instructions.map((i) => i.instruction.form.id));
    // The 64-bit str/sldt register rows belong to the decoder: gas encodes those without REX.W,
    // through the d64 alias rows listed before them.
    const shadowed = new Set(["str Rv 0f 00 /1 (64)", "sldt Rv 0f 00 /0 (64)"]);
    const missing = FORMS.filter((f) => !chosen.has(f.id))
      .map((f) => `${f.row} (${f.opsize})`)
      .filter((r) => !shadowed.has(r));
    expect(missing).toEqual([]);
  });
});
