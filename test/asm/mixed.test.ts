/**
 * Random mixes of directives and instructions (sections and subsections, symbols and their
 * attributes, alignment, `.org`, common symbols, relocation operators, branches, call frame
 * information): every mix pvopc assembles without an error must give as's object byte for byte,
 * and no mix may make the assembler or the ELF writer throw. Found: as's PLT32 rule for branches
 * with an offset, undefined symbols that are only named, `.local`/`.globl` after `.weak`, `.set`
 * to an undefined symbol, the symbol order of `.set`, `.previous` after a switch to the same
 * section, flags of known and of existing sections, relocation operators on `.set` symbols.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { assemble } from "../../src/asm/assembler.js";
import { SourceFile } from "../../src/diag/diagnostic.js";
import { writeElf } from "../../src/image/elf-write.js";
import { gnuObject } from "../image/oracle.js";

const STATEMENTS = [
  ".cfi_startproc", ".cfi_endproc", ".cfi_def_cfa_offset 16", ".cfi_offset %rbp, -16", ".cfi_remember_state", ".cfi_restore_state",
  ".cfi_personality 0x9b, p", ".cfi_lsda 0x1b, l", ".cfi_escape 1,2", ".cfi_sections .debug_frame", ".cfi_label lab",
  ".text 1", ".text 2", ".subsection 3", ".previous", ".pushsection .foo, 1", ".popsection", ".data", ".bss",
  ".section .rodata.str1.1,\"aMS\",@progbits,1", ".section .tbss,\"awT\",@nobits",
  ".org 0x10", ".org .+4, 0xcc", ".org lab+2", ".p2align 4,,10", ".balign 8", ".nops 7", ".skip 100",
  ".comm c, 8, 8", ".local c", ".lcomm lc, 4", ".weak c", ".globl lab", ".file \"a.c\"", ".ident \"x\"",
  ".set s, lab - 1b", ".size lab, .-lab", ".type lab, @function",
  "jmp lab", "jne lab-130", "je 1f", "1:", "lab:", ".LC0:", ".string \"hi\"", "ret", "movl $1, %eax", "addq $8, %rsp",
  "movq foo@GOTPCREL(%rip), %rax", "call foo@PLT", "call foo+4", "movq $x@TPOFF, %rax", ".long x@GOTPCREL - .", ".quad lab",
  "leaq .LC0(%rip), %rdi", "call *x@TLSCALL(%rax)", "@@", ".org -1",
  ".hidden lab", ".protected c", ".quad lab - .", ".long lab2 - lab", "lab2:", ".byte 1, 2", ".fill 3, 2, 0x1234",
  ".equ e1, 5", ".set e2, e1 + 3", "movl $e2, %ecx", ".section .text.unlikely,\"ax\",@progbits", "jmp lab2", "call lab2",
  ".globl lab2", ".weak lab2", "jmp *%rax", "cmpl $0, c(%rip)", "movq lab(%rip), %rax", ".zero 130", ".balign 4, 0x90",
  ".type c, @object", ".size c, 8", ".quad c", ".long lc", "pushq %rbp", "loop lab", "jrcxz lab2",
  ".section .data.rel.ro,\"aw\"", ".quad foo@GOTOFF", ".long foo@PLT", ".cfi_startproc simple", ".cfi_signal_frame",
  ".cfi_adjust_cfa_offset -8", ".cfi_def_cfa %rsp, 8", ".cfi_undefined %rip", ".cfi_rel_offset %rbx, 0",
  ".section .foo,\"a\",@nobits", ".pushsection .text.x,\"ax\",@progbits", ".balign 16,,4", ".p2align 5", ".nops 3, 1",
  ".skip 5, 0x90", ".align 8", ".space 2", ".8byte lab", ".2byte 3", ".int lab2-lab", "movabsq $lab, %rax", "jmp 2f", "2:",
  "jmp 2b", ".quad 2f", ".set x, .", "x = 3", ".equiv q, 1", ".ascii \"a\\n\\001\"", ".asciz \"zz\"",
  ".section .note.test,\"a\",@note", ".long 1f - .", "nopw 0(%rax,%rax,1)", "lock incl (%rax)", "rep stosb", "movw $1, %ax",
  ".word lab", ".hidden lab2", ".internal x", ".type lab2, @object", ".size lab2, 4", ".p2align 4,,15", "call 1f",
  ".comm big, 4096, 64", ".lcomm small, 1", ".zero 3", ".section .init_array,\"aw\"", ".section .a,\"ax\"", ".section .a,\"aw\"",
];

describe("random mixes of directives and instructions", () => {
  test("what pvopc assembles is as's object, and nothing throws", () => {
    let compared = 0;
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...STATEMENTS), { maxLength: 25 }), (lines) => {
        const text = `${lines.join("\n")}\n`;
        const result = assemble(new SourceFile("mix.s", text));
        void result.listing;
        void result.instructions;
        if (result.diagnostics.some((d) => d.severity === "error")) return;
        compared++;
        expect(Buffer.from(writeElf(result.image)).equals(Buffer.from(gnuObject(text))), text).toBe(true);
      }),
      { seed: 20261122, numRuns: 1500 },
    );
    // Most mixes have an error somewhere; enough must be left to compare.
    expect(compared).toBeGreaterThan(200);
  });
});
