/**
 * The library API the language front end uses: assembling a range of a file (a .pvop body)
 * with `//` comments, diagnostics in the file's coordinates, and the instruction list.
 */
import { describe, expect, test } from "vitest";
import { assemble } from "../../src/asm/assembler.js";
import { SourceFile } from "../../src/diag/diagnostic.js";

describe("assemble() on part of a file", () => {
  const text = "op save_fl() {\n  native { pushfq // flags\n    popq %rax; movl %ax, %ebx }\n}\n";
  const file = new SourceFile("irq.pvop", text);
  const start = text.indexOf("{ pushfq") + 1;
  const end = text.indexOf(" }\n}");
  const result = assemble(file, { range: { start, end }, lineComments: ["//"] });

  test("bytes and listing use the file's lines", () => {
    expect(result.listing.map((l) => [l.line, l.offset, Buffer.from(l.bytes).toString("hex")])).toEqual([
      [2, 0, "9c"],
      [3, 1, "58"],
    ]);
  });

  test("an error inside the range points into the file", () => {
    expect(result.diagnostics.map((d) => [d.code, file.position(d.span.start)])).toEqual([["PV1004", { line: 3, column: 21 }]]);
  });

  test("every emitted instruction is listed with its form, offset, length and span", () => {
    expect(result.instructions.map((i) => [i.instruction.form.mnemonic, i.offset, i.length, text.slice(i.span.start, i.span.end)])).toEqual([
      ["pushf", 0, 1, "pushfq"],
      ["pop", 1, 1, "popq %rax"],
    ]);
  });
});

describe("relaxed branches in the instruction list", () => {
  test("a short jump is reported in its rel8 form, a far one in its rel32 form", () => {
    const result = assemble(new SourceFile("b.s", "a: jmp a\njmp b\n.skip 300\nb: ret\n"));
    expect(result.instructions.map((i) => [i.offset, i.length, i.instruction.form.operands[0]])).toEqual([
      [0, 2, { t: "rel", bits: 8 }],
      [2, 5, { t: "rel", bits: 32 }],
      [307, 1, undefined],
    ]);
  });
});
