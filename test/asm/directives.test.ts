/**
 * Directives, sections, symbols and NOP fill, each compared with GNU as on the same source:
 * the bytes of every line (listing), the section attributes, and the NOP patterns.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { assemble } from "../../src/asm/assembler.js";
import { SourceFile } from "../../src/diag/diagnostic.js";
import { readElf } from "../../src/image/elf-read.js";
import { findSection } from "../../src/image/image.js";
import { nop, nopFill } from "../../src/x86/nops.js";
import { compareWithGnu } from "./compare.js";
import { gnuSectionBytes } from "../support/toolchain.js";
import { gnuAs } from "./oracle.js";
import { CORPUS_DIR } from "../image/oracle.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

const DIRECTIVES = `
# comments of every kind
/* a block
   comment */ nop
/ a line starting with a slash is a comment
.text
start: nop ; nop # two statements
1: jmp 1f ; jmp 1b
1: .byte 1, -1, 0xff, 'a, '\\n
.short 0x1234, -2
.word 7
.long 0xdeadbeef, -0x80000000, 1b - start, 1f - 1b
1: .quad 0xffffffffffffffff, -1, start + 8
.int 3
.ascii "ab\\tc\\"d\\101\\x41", "e;#f"
.asciz "x"
.string "yz"
.zero 3
.skip 2, 0xaa
.space 2
.fill 3, 2, 0x1234
.fill 2, 8, -1
.fill 2
.align 8
.balign 16, 0xcc
.p2align 5
.p2align 4, 0x90
.p2align 4,,3
nop
.p2align 4,,15
.nops 13
.nops 30, 3
.nops 100
.set five, 5
.equ six, five + 1
seven = six + 1
movl $seven, %eax
movl $(five * 4 + (six << 2) | 1), %ebx
.byte five % 3, -six / 4, ~0 & 0xf, 2 == 2, 3 > 2, 1 && 0, 1 || 0
lea .+8(%rip), %rax
lea .+8(%rip), %rax
.set twice, 1
movl $twice, %eax
.set twice, 2
movl $twice, %eax
movl $twice, %eax
1: jmp 1b
1: jmp 1b
jmp start-1
jmp start+1
back: nop
jmp back-1
movl (,%rbx,), %eax
movl (%rax,%rbx,), %ecx
rep ret
repnz ret $8
rep nop
.section .rodata
.align 4
.long 1, 2
.section .parainstructions,"a"
.balign 8
.quad start
.byte 1, 2
.short 3
.pushsection .text.other,"ax",@progbits
ret
.p2align 3
.popsection
.long 4
.section .mydata,"aw"
.byte 9
.previous
.long 5
.data
.align 16
.quad 1
.bss
.skip 100
.align 32
.text
nop
`;

describe("directives against GNU as", () => {
  const file = new SourceFile("directives.s", DIRECTIVES);
  const result = assemble(file);

  test("no diagnostics", () => {
    expect(result.diagnostics.map((d) => `${file.position(d.span.start).line}: ${d.message}`)).toEqual([]);
  });

  test("every line emits the bytes as emits", () => {
    expect(compareWithGnu(DIRECTIVES, result)).toEqual([]);
  });

  test("sections: names, kinds, flags, alignment and contents", () => {
    const gnu = readElf(gnuAs(DIRECTIVES).object!);
    if (!gnu.ok) throw new Error(gnu.error);
    const describe = (s: { name: string; kind: string; flags: object; align: number; data: Uint8Array }) =>
      `${s.name} ${s.kind} ${JSON.stringify(s.flags)} align=${s.align} ${s.kind === "nobits" ? s.data.length : hex(s.data)}`;
    const ours = result.image.sections.map(describe);
    const theirs = gnu.image.sections.filter((s) => s.name !== ".note.GNU-stack").map(describe);
    expect(ours).toEqual(theirs);
  });
});

describe("NOP fill", () => {
  test("single NOPs of 1 to 11 bytes are the reference patterns", () => {
    expect(Array.from({ length: 11 }, (_, i) => hex(nop(i + 1)))).toEqual([
      "90",
      "6690",
      "0f1f00",
      "0f1f4000",
      "0f1f440000",
      "660f1f440000",
      "0f1f8000000000",
      "0f1f840000000000",
      "660f1f840000000000",
      "662e0f1f840000000000",
      "66662e0f1f840000000000",
    ]);
  });

  test(".nops N and .nops N, L agree with as for N up to 300", () => {
    const cases: [number, number][] = [];
    for (let n = 1; n <= 300; n += n < 40 ? 1 : 7) for (const l of [0, 1, 2, 4, 7, 11]) cases.push([n, l]);
    const source = cases.map(([n, l]) => (l ? `.nops ${n}, ${l}` : `.nops ${n}`)).join("\n") + "\n";
    const gnu = gnuSectionBytes(source);
    const ours = assemble(new SourceFile("nops.s", source));
    expect(hex(findSection(ours.image, ".text")!.data)).toBe(hex(gnu));
    // The listing says where each line's fill starts, so each case is checked on its own.
    cases.forEach(([n, l], i) => {
      const at = ours.listing.find((x) => x.line === i + 1)!.offset;
      expect({ n, l, bytes: hex(nopFill(n, l || undefined)) }).toEqual({ n, l, bytes: hex(gnu.subarray(at, at + n)) });
    });
  });
});

describe("subsections, .org and commons line by line", () => {
  // The corpus files' objects are compared whole in test/image/elf-asm.test.ts; here each line's bytes.
  test.each(["subsections", "org", "commons", "files"])("%s.s emits on each line the bytes as emits", (name) => {
    const path = join(CORPUS_DIR, `${name}.s`);
    const text = readFileSync(path, "utf8");
    expect(compareWithGnu(text, assemble(new SourceFile(path, text)))).toEqual([]);
  });
});
