import { describe, expect, it } from "vitest";
import { SEMANTICS } from "../../src/emu/semantics.js";
import { FORMS } from "../../src/x86/table.js";

describe("emulator semantics", () => {
  it("has a semantics function for the sem key of every non-alias form of the table", () => {
    const missing = [...new Set(FORMS.filter((f) => !f.alias && !SEMANTICS[f.sem]).map((f) => `${f.sem} (${f.row})`))];
    expect(missing).toEqual([]);
  });

  it("has no semantics function that no form uses", () => {
    const used = new Set(FORMS.map((f) => f.sem));
    expect(Object.keys(SEMANTICS).filter((k) => !used.has(k))).toEqual([]);
  });
});
