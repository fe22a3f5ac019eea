/**
 * Bad input: every error is a diagnostic with a code, at the offending operand, and assembly
 * goes on, so one run reports them all. The set of lines rejected must equal the set GNU as
 * rejects on the same file (errors, and the warnings where as silently truncates a value or
 * guesses a size, which pvopc refuses).
 */
import { describe, expect, test } from "vitest";
import { assemble } from "../../src/asm/assembler.js";
import { SourceFile } from "../../src/diag/diagnostic.js";
import { renderText } from "../../src/diag/render.js";
import { gnuAssemble } from "../support/toolchain.js";
import { compareWithGnu } from "./compare.js";

const ERRORS: [string, string, string][] = [
  // [line, code, the text the caret must start at]
  ["frob %eax", "PV1001", "frob"],
  ["movl %ax, %ebx", "PV1004", "%ax"],
  ["movb $300, %al", "PV1005", "$300"],
  ["addw $0x10000, %ax", "PV1005", "$0x10000"],
  ["mov %cr2, %eax", "PV1004", "%eax"],
  ["mov (%rax,%rbx,3), %eax", "PV1008", "3"],
  ["mov (%eax,%rbx), %eax", "PV1008", "(%eax,%rbx)"],
  ["mov (%rax,%rsp), %eax", "PV1008", "(%rax,%rsp)"],
  ["mov 4(%rip,%rax), %eax", "PV1008", "(%rip,%rax)"],
  ["mov %rax, %foo", "PV1009", "%foo"],
  ["addq $0xffffffff, %rax", "PV1005", "$0xffffffff"],
  ["mov $1, (%rax)", "PV1006", "(%rax)"],
  ["incw %eax", "PV1004", "%eax"],
  ["lock movl %eax, (%rbx)", "PV1015", "movl"],
  ["lock addl %eax, %ebx", "PV1015", "addl"],
  ["rep addl %eax, %ebx", "PV1015", "addl"],
  ["mov %ah, %sil", "PV1007", "%ah"],
  ["push %eax", "PV1004", "%eax"],
  ["add %eax", "PV1003", "%eax"],
  ["jmp *$4", "PV1002", "*$4"],
  ["mov $1 +* 2, %eax", "PV1002", "*"],
  ["mov $(1, %eax", "PV1002", ", %eax"],
  [".byte 256", "PV1017", "256"],
  [".long 0x100000000", "PV1017", "0x100000000"],
  [".frobnicate 1", "PV1012", ".frobnicate"],
  [".p2align 3, 0, x", "PV1013", "x"],
  [".balign 3", "PV1013", "3"],
  ["shl $256, %eax", "PV1005", "$256"],
  ["ret $0x10000", "PV1005", "$0x10000"],
  ["int $256", "PV1005", "$256"],
  ["mov 0x80000000(%rax), %eax", "PV1008", "0x80000000(%rax)"],
  ["mov (%rax,,2), %eax", "PV1008", ",2)"],
  ["mov 4(,,8), %eax", "PV1008", ",8)"],
  [".lcomm lc, 4, 8", "PV1013", ".lcomm"],
  [".comm cx", "PV1013", ".comm"],
  // Relocation operators: fields their relocation cannot describe, operand types they do not take.
  ["movl $foo@GOTPCREL, %eax", "PV1020", "$foo"],
  ["movq foo@GOT(%rip), %rax", "PV1020", "foo@GOT"],
  ["call foo@GOT", "PV1020", "foo@GOT"],
  ["movq foo@GOTOFF(%rbx), %rax", "PV1020", "foo@GOTOFF"],
  ["movl $foo@GOTOFF, %eax", "PV1003", "$foo"],
  ["movabsq $foo@PLT, %rax", "PV1003", "$foo"],
  ["addq $foo@SIZE, %rax", "PV1003", "$foo"],
  ["movq foo@SIZE(%rip), %rax", "PV1020", "foo@SIZE"],
  ["movq foo@SIZE(%rbx), %rax", "PV1020", "foo@SIZE"],
  ["movl $foo@TPOFF, %eax", "PV1020", "$foo"],
  [".long foo@GOTOFF", "PV1020", "foo@GOTOFF"],
  [".quad foo@TLSGD", "PV1020", "foo@TLSGD"],
  [".quad foo@PLT", "PV1020", "foo@PLT"],
  [".word foo@GOT", "PV1002", "foo@GOT"],
  [".set x, foo@GOT", "PV1002", "foo@GOT"],
  [".fill foo@GOT, 1, 0", "PV1002", "foo@GOT"],
  [".long foo@PLT - .", "PV1020", "foo@PLT"],
  [".long foo@GOT + bar", "PV1018", "foo@GOT"],
  ["movq foo@NTPOFF(%rbx), %rax", "PV1020", "foo@"],
  ["movq foo@GOTPCRELX(%rip), %rax", "PV1002", "X"],
  ["movq $foo@GOTPC, %rax", "PV1002", "PC"],
  ["movq $foo@PLT-foo, %rax", "PV1018", "$foo"],
  ["jmp foo@GOTPCREL", "PV1020", "foo@GOTPCREL"],
  ["movl $foo@TLSCALL, %eax", "PV1020", "$foo"],
  ["call foo@TLSCALL", "PV1020", "foo@TLSCALL"],
  ["movq foo@TLSCALL(%rip), %rax", "PV1020", "foo@TLSCALL"],
];

describe("assembler errors", () => {
  const source = ERRORS.map(([l], i) => (i % 2 ? `nop; ${l}` : l)).join("\n") + "\nnop\n";
  const file = new SourceFile("errors.s", source);
  const result = assemble(file);

  test("every bad line gets exactly one error with its code, at the offending text", () => {
    const byLine = new Map<number, { code: string; column: number }[]>();
    for (const d of result.diagnostics) {
      const p = file.position(d.span.start);
      byLine.set(p.line, [...(byLine.get(p.line) ?? []), { code: d.code, column: p.column }]);
    }
    ERRORS.forEach(([text, code, at], i) => {
      const line = i + 1;
      const lineText = file.lineText(line);
      const column = lineText.indexOf(at, i % 2 ? 5 : 0) + 1;
      expect({ text, got: byLine.get(line) }).toEqual({ text, got: [{ code, column }] });
    });
  });

  test("good statements around the errors still assemble", () => {
    // Every odd line starts with a nop, plus the final nop.
    expect(result.listing.filter((l) => l.source.startsWith("nop")).length).toBe(Math.floor(ERRORS.length / 2) + 1);
  });

  test("the rendered diagnostic names file, line, column and code, with a caret", () => {
    const d = result.diagnostics.find((x) => x.code === "PV1004")!;
    expect(renderText(d, { color: false })).toBe(
      ["errors.s:2:11: error: operand size mismatch for 'movl': %ax is 16-bit, expected a 32-bit register [PV1004]", " nop; movl %ax, %ebx", "           ^~~"].join("\n"),
    );
  });

  test("a NOP longer than 11 bytes is refused (as checks it only once the file is otherwise clean)", () => {
    const source = "nop\n.nops 5, 15\n";
    const r = assemble(new SourceFile("nops.s", source));
    expect(r.diagnostics.map((d) => [d.code, d.file.position(d.span.start).column])).toEqual([["PV1013", 10]]);
    expect(compareWithGnu(source, r)).toEqual([]);
  });

  test("what as only warns about or gets wrong for .file, .comm, .org and subsections is an error at the operand", () => {
    // [source, code, the text the caret must start at (its last occurrence)]
    const cases: [string, string, string][] = [
      // as refuses these too, but its listing misplaces the error or loses the lines after it.
      [".ident x", "PV1013", "x"],
      ["nop\n.org 0", "PV1013", "0"],
      [".local lq; .comm lq, 4, 3", "PV1013", "3"],
      ['.file "a.c" "b.c"', "PV1013", '"a.c"'],
      // as makes .debug_line of it; pvopc makes no DWARF.
      ['.file 1 "a.c"', "PV1013", '1 "a.c"'],
      // as keeps the first size, with a warning.
      [".comm c, 4\n.comm c, 8", "PV1013", "8"],
      // as assumes 0, with a warning.
      [".comm n, -1", "PV1013", "-1"],
      // as loops forever on an .org to a later label ("Infinite loop encountered").
      [".org later\nlater: nop", "PV1013", "later\nlater"],
      [".data\nd: .byte 1\n.text\n.org d", "PV1013", "d"],
      [".text -1", "PV1013", "-1"],
      [".bss\n.org 4, 1", "PV1013", ".org"],
      ["x: nop\n.comm x, 4", "PV1011", "x, 4"],
      [".comm y, 4\ny: nop", "PV1011", "y: nop"],
      [".weak w\n.comm w, 4", "PV1013", ".comm w, 4"],
    ];
    for (const [text, code, at] of cases) {
      const r = assemble(new SourceFile("t.s", text + "\n"));
      expect({ text, got: r.diagnostics.map((d) => [d.code, d.span.start]) }).toEqual({ text, got: [[code, text.lastIndexOf(at)]] });
    }
  });

  test("pvopc rejects exactly the lines GNU as rejects", () => {
    expect(compareWithGnu(source, result)).toEqual([]);
  });

  test("a register of an instruction set the table leaves out is named as such", () => {
    const r = assemble(new SourceFile("t.s", "movss %xmm0, %xmm1\nkmovw %k1, %eax\nmovl %xmm99, %eax\n"));
    expect(r.diagnostics.map((d) => [d.code, d.message.startsWith(`register '%${d.message.split("%")[1]?.split("'")[0]}' belongs to SSE`)])).toEqual([
      ["PV1009", true],
      ["PV1009", true],
      ["PV1009", false],
    ]);
  });

  test("a relocation operator on a symbol set by .set or = is refused (as refuses it only when the value is known before)", () => {
    for (const text of ["x = 3\nmovq $x@TPOFF, %rax", "movq $x@TPOFF, %rax\nx = 3", ".set x, .\n.long x@GOTPCREL - .", ".set x, foo\nmovq x@GOTPCREL(%rip), %rax"]) {
      const r = assemble(new SourceFile("t.s", `${text}\n`));
      expect({ text, got: r.diagnostics.map((d) => [d.code, r.image.sections.length > 0 && d.message.includes("'x' is set by .set or =")]) }).toEqual({ text, got: [["PV1020", true]] });
    }
  });

  test("a section named again with another type, other flags or another entry size is refused, as as refuses it", () => {
    const cases: [string, string][] = [
      ['.section .a,"ax"\n.section .a,"aw"', "changed section attributes for .a"],
      ['.section .a,"a",@progbits\n.section .a,"a",@nobits', "changed section type for .a"],
      ['.section .a\n.section .a,"a"', "changed section attributes for .a"],
      ['.section .a,"aM",@progbits,4\n.section .a,"aM",@progbits,8', "changed section entity size for .a"],
    ];
    for (const [text, message] of cases) {
      const r = assemble(new SourceFile("t.s", `${text}\n`));
      expect({ text, got: r.diagnostics.map((d) => [d.code, d.message, d.file.position(d.span.start).line]) }).toEqual({ text, got: [["PV1013", message, 2]] });
      expect(() => gnuAssemble(`${text}\n`), text).toThrow(new RegExp(message));
    }
  });
});
