/** effects.ts: the registers, flags and memory each instruction touches. */
import { describe, expect, it } from "vitest";
import { SourceFile } from "../../src/diag/diagnostic.js";
import { assemble } from "../../src/asm/assembler.js";
import { changedRegisters, effectsOf, hasEffects } from "../../src/x86/effects.js";
import { ARITHMETIC_FLAGS, FLAGS } from "../../src/x86/flags.js";
import { FORMS } from "../../src/x86/table.js";

function effects(text: string) {
  const result = assemble(new SourceFile("t.s", text));
  expect(result.diagnostics).toEqual([]);
  return effectsOf(result.instructions[0]!.instruction);
}

const names = (regs: readonly { name: string }[]) => regs.map((r) => r.name).sort();
const writes = (text: string) => effects(text).writes.map((w) => `${w.reg.name}>${w.full.name}:${w.kind}`).sort();

describe("effects", () => {
  it("knows the semantics of every row in the instruction table", () => {
    expect([...new Set(FORMS.map((f) => f.sem))].filter((s) => !hasEffects(s))).toEqual([]);
  });

  it("32-bit writes zero-extend, 8- and 16-bit writes merge", () => {
    expect(writes("movl $1, %eax")).toEqual(["eax>rax:zero-extend"]);
    expect(writes("movb $1, %al")).toEqual(["al>rax:merge"]);
    expect(writes("setne %ah")).toEqual(["ah>rax:merge"]);
    expect(writes("movw $1, %r9w")).toEqual(["r9w>r9:merge"]);
    expect(writes("movq $1, %rcx")).toEqual(["rcx>rcx:full"]);
  });

  it("ALU ops read both operands and write the destination and the status flags", () => {
    const e = effects("addq %rsi, %rdi");
    expect(names(e.reads)).toEqual(["rdi", "rsi"]);
    expect(names(e.writes.map((w) => w.reg))).toEqual(["rdi"]);
    expect(e.flagsWritten).toBe(ARITHMETIC_FLAGS);
    expect(effects("adcq %rsi, %rdi").flagsRead).toBe(FLAGS.CF);
    expect(effects("cmpq %rsi, %rdi").writes).toEqual([]);
    expect(effects("incq %rdi").flagsWritten & FLAGS.CF).toBe(0);
  });

  it("memory operands read their address registers", () => {
    const e = effects("movb $0, (%rdi)");
    expect(names(e.reads)).toEqual(["rdi"]);
    expect(e.memoryWritten).toBe(true);
    expect(e.writes).toEqual([]);
    const load = effects("movq __per_cpu_offset(,%rdi,8), %rax");
    expect(names(load.reads)).toEqual(["rdi"]);
    expect(load.memoryRead).toBe(true);
    expect(names(effects("movb $1, %gs:0x10").reads)).toEqual(["gs"]);
    expect(effects("leaq 8(%rsp), %rax").memoryRead).toBe(false);
  });

  it("implicit registers: mul/div, cpuid, rdmsr, rdtsc, cwd, cmpxchg", () => {
    expect(names(changedRegisters(assemble(new SourceFile("t", "mulq %rbx")).instructions[0]!.instruction))).toEqual(["rax", "rdx"]);
    expect(names(effects("divl %ecx").reads)).toEqual(["eax", "ecx", "edx"]);
    expect(writes("mulb %cl")).toEqual(["ax>rax:merge"]);
    expect(writes("cpuid")).toEqual(["eax>rax:zero-extend", "ebx>rbx:zero-extend", "ecx>rcx:zero-extend", "edx>rdx:zero-extend"]);
    expect(names(effects("rdmsr").reads)).toEqual(["ecx"]);
    expect(writes("rdtsc")).toEqual(["eax>rax:zero-extend", "edx>rdx:zero-extend"]);
    expect(writes("cqto")).toEqual(["rdx>rdx:full"]);
    expect(writes("cltq")).toEqual(["rax>rax:full"]);
    expect(names(effects("cltq").reads)).toEqual(["eax"]);
    const x = effects("lock cmpxchgq %rcx, (%rdi)");
    expect(names(x.reads)).toEqual(["rax", "rcx", "rdi"]);
    expect(names(x.writes.map((w) => w.reg))).toEqual(["rax"]);
  });

  it("stack instructions move rsp; flags instructions touch rflags", () => {
    expect(writes("pushq %rdi")).toEqual(["rsp>rsp:full"]);
    expect(effects("pushq %rdi").memoryWritten).toBe(true);
    expect(writes("popq %rax")).toEqual(["rax>rax:full", "rsp>rsp:full"]);
    expect(effects("popfq").flagsWritten & FLAGS.IF).toBe(FLAGS.IF);
    expect(effects("pushfq").flagsRead & FLAGS.IF).toBe(FLAGS.IF);
    expect(effects("cli").flagsWritten).toBe(FLAGS.IF);
    expect(effects("jne .").flagsRead).toBe(FLAGS.ZF);
    expect(effects("setbe %al").flagsRead).toBe(FLAGS.CF | FLAGS.ZF);
    expect(writes("call foo")).toEqual(["rsp>rsp:full"]);
  });

  it("string operations walk rsi/rdi and count rcx under rep", () => {
    expect(names(effects("movsb").writes.map((w) => w.reg))).toEqual(["rdi", "rsi"]);
    expect(names(effects("rep stosq").writes.map((w) => w.reg))).toEqual(["rcx", "rdi"]);
    expect(names(effects("rep stosq").reads)).toEqual(["rax", "rcx", "rdi"]);
  });

  it("control registers are written whole; syscall saves rip and rflags in rcx and r11", () => {
    expect(writes("mov %rdi, %cr3")).toEqual(["cr3>cr3:full"]);
    expect(writes("syscall")).toEqual(["r11>r11:full", "rcx>rcx:full"]);
    expect(effects("nopw 0(%rax,%rax,1)").reads).toEqual([]);
  });
});
