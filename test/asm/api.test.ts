/**
 * The library API the language front end uses: assembling a range of a file (a .pvop body)
 * with `//` comments, diagnostics in the file's coordinates, and the instruction list.
 */
import { describe, expect, test } from "vitest";
import { assemble } from "../../src/asm/assembler.js";
import { SourceFile } from "../../src/diag/diagnostic.js";
import { findSection } from "../../src/image/image.js";
import { encodeInstruction, isEncodeError } from "../../src/x86/encode.js";
import { corpus } from "../support/gen.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

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

describe("the instruction list", () => {
  test("every instruction of the corpus of all forms encodes to the bytes it was assembled to", () => {
    // Instructions are rebuilt from the statements when the list is read; a field left for a
    // symbol is zero in the encoding and resolved in the section, so only those bytes may differ.
    const source = corpus().join("\n") + "\n";
    const result = assemble(new SourceFile("corpus.s", source));
    const text = findSection(result.image, ".text")!.data;
    const problems: string[] = [];
    for (const { instruction, offset, length, span } of result.instructions) {
      const encoded = encodeInstruction(instruction, BigInt(offset));
      if (isEncodeError(encoded)) {
        problems.push(`${source.slice(span.start, span.end)}: ${encoded.error}`);
        continue;
      }
      const bytes = Uint8Array.from(text.subarray(offset, offset + length));
      for (const f of encoded.fixups) bytes.fill(0, f.offset, f.offset + f.size);
      if (Buffer.compare(encoded.bytes, bytes) !== 0) problems.push(`${source.slice(span.start, span.end)}: ${hex(encoded.bytes)} != ${hex(bytes)}`);
    }
    expect(result.instructions.length).toBeGreaterThan(20000);
    expect(problems.slice(0, 10)).toEqual([]);
  });

  test("operands keep their symbols and values as they stood, repeated statements and redefined constants too", () => {
    const source = [
      "movq sym+8(%rip), %rax",
      "movq sym+8(%rip), %rax",
      "movl $end - start, %ecx",
      ".set k, 5",
      "movl $k, %edx",
      ".set k, 6",
      "movl $k, %edx",
      "start: lock addq $-1, %gs:counter",
      "end: jmp start",
    ].join("\n");
    const result = assemble(new SourceFile("ops.s", source));
    expect(result.diagnostics).toEqual([]);
    const operand = (i: number, n: number) => result.instructions[i]!.instruction.operands[n] as Record<string, unknown>;
    expect([operand(0, 0), operand(1, 0)].map((o) => [(o.symbol as { name: string }).name, o.disp])).toEqual([
      ["sym", 8n],
      ["sym", 8n],
    ]);
    expect(operand(2, 0)).toEqual({ kind: "imm", value: 0n, symbol: { name: "end", minus: "start" } });
    expect([operand(3, 0), operand(4, 0)]).toEqual([
      { kind: "imm", value: 5n },
      { kind: "imm", value: 6n },
    ]);
    expect(result.instructions[5]!.instruction.prefixes).toEqual({ lock: true });
    expect(operand(5, 0)).toEqual({ kind: "imm", value: 0xffffffffffffffffn });
    expect(result.instructions[6]!.instruction.form.operands[0]).toEqual({ t: "rel", bits: 8 });
  });
});
