/**
 * Differential test (3): relocations and symbols. The same source goes through GNU as (its
 * object read back with readElf) and through pvopc; relocations (offset, type, symbol, addend)
 * and the symbol table must agree, and so must the section bytes.
 */
import { describe, expect, test } from "vitest";
import { assemble } from "../../src/asm/assembler.js";
import { SourceFile } from "../../src/diag/diagnostic.js";
import { readElf } from "../../src/image/elf-read.js";
import { writeElf } from "../../src/image/elf-write.js";
import type { Image } from "../../src/image/image.js";
import { gnuAs } from "./oracle.js";

const SOURCE = `
.text
.globl g, h
.weak w
.type g, @function
g: nop
l: nop
  jmp g
  jmp l
  jmp u
  je u
  jne w
  call g
  call l
  call u
  call u@PLT
  jrcxz u
  movq g(%rip), %rax
  movq l(%rip), %rax
  movq u+8(%rip), %rax
  movl $1, u(%rip)
  movb $1, d(%rip)
  movq $u, %rax
  movq $l+4, %rax
  movabs $u, %rax
  movabs $d, %rax
  mov $l, %eax
  mov $u, %ax
  mov $u, %al
  movb $1, %gs:vcpu+1
  movq pcpu(,%rdi,8), %rax
  movl d+4(%rbx), %eax
  mov (%eax), %eax
  mov u(%eax), %eax
  cmpq $d, %rcx
  push $u
  addl $(e - l), %eax
  lea 1f(%rip), %rax
1:
  jmp 1b
  jmp 2f
  .nops 200
2: ret
.size g, . - g
e:
.section .data
d: .long 1
  .quad u, l, g, d+8, h
  .long u - ., l - ., d - .
  .quad u - .
  .short l, u
  .byte u
  .long e - l, 1f - d
1: .byte 0
.set abs, 0x1234
.set alias, d + 2
  .quad abs, alias
.section .parainstructions,"a"
.balign 8
  .quad 771b
771:
.section .bss
buf: .skip 64
.text
h: ret
`.replace("771b", "g");

function relocs(image: Image): string[] {
  return image.sections.flatMap((s) => s.relocations.map((r) => `${s.name}+${r.offset.toString(16)} ${r.type} ${r.symbol} ${r.addend}`)).sort();
}

function symbols(image: Image): string[] {
  return image.symbols
    .filter((s) => s.type !== "section" && s.type !== "file")
    .map((s) => `${s.name} ${s.section ?? "UND"} ${s.value.toString(16)} ${s.size} ${s.binding} ${s.type}`)
    .sort();
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("relocations and symbols against GNU as", () => {
  const mine = assemble(new SourceFile("relocs.s", SOURCE));
  // The ELF writer marks the stack non-executable, as `as --noexecstack` does.
  const object = gnuAs(SOURCE, ["--noexecstack"]).object!;
  const theirs = readElf(object);
  if (!theirs.ok) throw new Error(theirs.error);

  test("the source assembles without errors", () => {
    expect(mine.diagnostics.map((d) => d.message)).toEqual([]);
  });

  test("section bytes agree", () => {
    for (const s of mine.image.sections) {
      const other = theirs.image.sections.find((x) => x.name === s.name)!;
      expect({ name: s.name, bytes: hex(s.data) }).toEqual({ name: s.name, bytes: hex(other.data) });
    }
  });

  test("relocations agree (offset, type, symbol, addend)", () => {
    expect(relocs(mine.image)).toEqual(relocs(theirs.image));
  });

  test("symbols agree (section, value, size, binding, type)", () => {
    expect(symbols(mine.image)).toEqual(symbols(theirs.image));
  });

  test("the ELF writer turns pvopc's image into as's object, byte for byte", () => {
    expect(hex(writeElf(mine.image))).toBe(hex(object));
  });
});
