/** The run loop: stops, faults (every kind, with rip and state), counters, trace, hooks, self-modifying code. */
import { describe, expect, it } from "vitest";
import { Machine, RETURN_SENTINEL } from "../../src/emu/machine.js";
import { PERM_R, PERM_RW, PERM_RWX } from "../../src/emu/memory.js";
import { BASE, code, machineFor, reg, run, STACK_TOP } from "./util.js";

describe("stops", () => {
  it("ret to the sentinel stops with 'ret'", () => {
    const { m, r } = run("movl $3, %eax; ret");
    expect(r.stop).toBe("ret");
    expect(reg(m, "rip")).toBe(RETURN_SENTINEL);
    expect(reg(m, "rsp")).toBe(STACK_TOP - 8n);
  });

  it("the end of the loaded code stops with 'end'", () => {
    expect(run("nop").r.stop).toBe("end");
  });

  it("the step limit stops a runaway loop exactly at the limit, even inside a compiled loop", () => {
    for (const limit of [0, 1, 2, 3, 1000, 100001]) {
      const { m, r } = run("1: incq %rax; jmp 1b", undefined, { maxSteps: limit });
      expect(r.stop).toBe("limit");
      expect(r.steps).toBe(limit);
      expect(reg(m, "rax")).toBe(BigInt(Math.ceil(limit / 2)));
      expect(reg(m, "rip")).toBe(limit % 2 ? BASE + 3n : BASE);
    }
  });

  it("a second run continues where the first stopped", () => {
    const m = new Machine();
    m.load(BASE, code("1: incq %rax; jmp 1b"));
    m.cpu.rip = BASE;
    m.run({ maxSteps: 11 });
    m.run({ maxSteps: 9 });
    expect(reg(m, "rax")).toBe(10n);
  });
});

describe("faults are results with the state intact", () => {
  it("#UD for ud2 and for bytes that do not decode", () => {
    const a = run("movl $1, %eax; ud2");
    expect(a.r.fault).toMatchObject({ vector: "#UD", number: 6, rip: BASE + 5n });
    expect(reg(a.m, "rax")).toBe(1n);
    const m = new Machine();
    m.load(BASE, Uint8Array.of(0x90, 0x0f, 0xff));
    m.cpu.rip = BASE;
    const r = m.run();
    expect(r.fault?.vector).toBe("#UD");
    expect(r.fault?.rip).toBe(BASE + 1n);
    expect(r.steps).toBe(1);
  });

  it("#UD for a lock prefix on an instruction that cannot take it", () => {
    const m = new Machine();
    m.load(BASE, Uint8Array.of(0xf0, 0x48, 0x01, 0xc0)); // lock add %rax,%rax
    m.cpu.rip = BASE;
    expect(m.run().fault?.vector).toBe("#UD");
  });

  it("#PF for a read of an unmapped page, with cr2 and the error code", () => {
    const { m, r } = run("movl $1, %ebx; movq (%rax), %rcx", (m) => m.setRegister("rax", 0x5000n));
    expect(r.fault).toMatchObject({ vector: "#PF", number: 14, rip: BASE + 5n, address: 0x5000n, errorCode: 0 });
    expect(reg(m, "cr2")).toBe(0x5000n);
    expect(reg(m, "rbx")).toBe(1n);
    expect(reg(m, "rcx")).toBe(0n);
  });

  it("#PF for a write to a read-only page leaves memory, flags and registers as they were", () => {
    const { m, r } = run("addq $1, (%rax)", (m) => {
      m.memory.map(0x600000n, 0x1000, PERM_R);
      m.memory.poke(0x600000n, Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
      m.setRegister("rax", 0x600000n);
    });
    expect(r.fault).toMatchObject({ vector: "#PF", errorCode: 3, address: 0x600000n });
    expect(m.memory.peek(0x600000n, 1)).toEqual(Uint8Array.of(0xff));
    expect(reg(m, "rflags")).toBe(0x202n);
  });

  it("#PF for a store that straddles into a read-only page reports the first byte of that page and stores nothing", () => {
    const { m, r } = run("movq %rbx, (%rax)", (m) => {
      m.memory.map(0x600000n, 0x1000, PERM_RW);
      m.memory.map(0x601000n, 0x1000, PERM_R);
      m.setRegister("rax", 0x600ffcn);
      m.setRegister("rbx", -1n);
    });
    expect(r.fault?.address).toBe(0x601000n);
    expect(m.memory.peek(0x600ffcn, 4)).toEqual(new Uint8Array(4));
  });

  it("#PF for a fetch from a page without execute permission, at the target", () => {
    const { r } = run("jmp *%rax", (m) => {
      m.memory.map(0x600000n, 0x1000, PERM_RW);
      m.setRegister("rax", 0x600000n);
    });
    expect(r.fault).toMatchObject({ vector: "#PF", rip: 0x600000n, errorCode: 16 | 1 });
  });

  it("#GP for a non-canonical address; #SS when it goes through rsp or rbp", () => {
    const gp = run("movq (%rax), %rcx", (m) => m.setRegister("rax", 0x8000000000000000n));
    expect(gp.r.fault?.vector).toBe("#GP");
    const ss = run("movq 8(%rbp), %rcx", (m) => m.setRegister("rbp", 0x8000000000000000n));
    expect(ss.r.fault?.vector).toBe("#SS");
    expect(ss.r.fault?.number).toBe(12);
  });

  it("#DE for division by zero and for a quotient that does not fit, before any register changes", () => {
    const zero = run("movl $9, %eax; divl %ecx");
    expect(zero.r.fault).toMatchObject({ vector: "#DE", number: 0, rip: BASE + 5n });
    expect(reg(zero.m, "rax")).toBe(9n);
    const big = run("idivq %rcx", (m) => {
      m.setRegister("rax", 0x8000000000000000n);
      m.setRegister("rdx", -1n);
      m.setRegister("rcx", -1n);
    });
    expect(big.r.fault?.vector).toBe("#DE");
    expect(reg(big.m, "rax")).toBe(0x8000000000000000n);
  });

  it("#BP for int3 is a trap: rip after it, the instruction retired", () => {
    const { m, r } = run("nop; int3; nop");
    expect(r.fault).toMatchObject({ vector: "#BP", number: 3, rip: BASE + 2n });
    expect(reg(m, "rip")).toBe(BASE + 2n);
    expect(r.steps).toBe(2);
  });

  it("int $n stops as a software interrupt trap with its number", () => {
    const { r } = run("int $0x80");
    expect(r.fault).toMatchObject({ vector: "INT", number: 0x80, rip: BASE + 2n });
  });

  it("a fault inside a compiled loop reports the iteration's instruction and the instructions retired before it", () => {
    const { m, r } = run("1: movb $1, (%rax); incq %rax; jmp 1b", (m) => {
      m.memory.map(0x600000n, 0x1000, PERM_RW);
      m.setRegister("rax", 0x600ff0n);
    });
    expect(r.fault).toMatchObject({ vector: "#PF", rip: BASE, address: 0x601000n });
    expect(r.steps).toBe(16 * 3);
    expect(reg(m, "rax")).toBe(0x601000n);
  });
});

describe("counters and trace", () => {
  it("counts instructions, nops, calls, returns, pushes, pops, memory accesses and code bytes", () => {
    const { r } = run("nop; call 1f; jmp 2f; 1: pushq %rax; popq %rbx; movq (%rsp), %rcx; nopl 0(%rax); ret; 2: nop");
    expect(r.counters).toEqual({
      instructions: 9,
      nops: 3,
      calls: 1,
      returns: 1,
      pushes: 2,
      pops: 2,
      memoryReads: 3,
      memoryWrites: 2,
      codeBytes: 1 + 5 + 2 + 1 + 1 + 4 + 3 + 1 + 1,
    });
  });

  it("counts every iteration of a compiled loop and each element of a rep string operation", () => {
    const { r } = run("movl $100, %ecx; 1: nop; decl %ecx; jnz 1b; movl $8, %ecx; rep stosb", (m) => {
      m.memory.map(0x600000n, 0x1000, PERM_RW);
      m.setRegister("rdi", 0x600000n);
    });
    expect(r.counters.instructions).toBe(1 + 300 + 2);
    expect(r.counters.nops).toBe(100);
    expect(r.counters.memoryWrites).toBe(8);
  });

  it("the trace shows each instruction with the registers and flags it changed", () => {
    const steps: string[] = [];
    run("movl $1, %eax; subl $1, %eax", undefined, {
      trace: (s) => steps.push(`${s.address.toString(16)} ${s.changes.map((c) => `${c.name}=${c.after.toString(16)}`).join(" ")}`),
    });
    expect(steps).toEqual(["401000 rax=1", "401005 rax=0 rflags=246"]);
  });
});

describe("compiled regions agree with single-stepping", () => {
  // Single-stepping (a trace) compiles one instruction at a time, so every block boundary goes
  // through the run loop: an oracle for regions, their step limit, counters and lazy flags.
  const programs = {
    "nested loops with loads, stores and a call": `
      movl $37, %ecx; xorl %eax, %eax; leaq -64(%rsp), %rdi
      1: movl $5, %ebp
      2: addq %rcx, %rax; movq %rax, (%rdi,%rbp,8); subq (%rdi), %rdx; cmpq $3, %rbp; jb 3f; incq %rdx; 3: decl %ebp; jg 2b
      call 4f; decl %ecx; jne 1b; jmp 5f
      4: pushq %rax; adcq %rbp, %rax; popq %rbx; ret
      5: cmpq %rax, %rdx`,
    "flags read in the block after the one that set them": `
      movl $50, %ecx; movq $-7, %rax
      1: addq %rcx, %rax; jmp 2f
      2: adcq $0, %rdx; seto %bl; jle 3f; notq %rdx; 3: subl $1, %ecx; jnz 1b`,
    "a fault after many iterations": `
      leaq -32768(%rsp), %rsi
      1: addq (%rsi), %rax; cmpq %rax, %rbx; jmp 2f
      2: addq $256, %rsi; jmp 1b`,
  };

  for (const [name, text] of Object.entries(programs)) {
    it(`${name}: same state, stop and counters at every step limit`, () => {
      const all = run(text, undefined, { trace: () => {} }).r.steps;
      expect(all).toBeGreaterThan(100);
      for (let limit = 0; limit <= all + 1; limit += limit < 40 ? 1 : 13) {
        const stepped = run(text, undefined, { maxSteps: limit, trace: () => {} });
        const compiled = run(text, undefined, { maxSteps: limit });
        expect(compiled.m.registers(), `at ${limit}`).toEqual(stepped.m.registers());
        expect(compiled.r, `at ${limit}`).toEqual(stepped.r);
      }
    });
  }
});

describe("hooks and self-modifying code", () => {
  it("reports calls and returns, so register preservation across a call can be checked", () => {
    const events: string[] = [];
    const { m } = run("call 1f; jmp 2f; 1: pushq %rdi; movl $5, %edi; popq %rdi; ret; 2:", (m) => {
      m.hooks = {
        onCall: (site, target, ret) => events.push(`call ${site.toString(16)} -> ${target.toString(16)} ret ${ret.toString(16)} rdi=${m.getRegister("rdi")}`),
        onRet: (site, to) => events.push(`ret ${site.toString(16)} -> ${to.toString(16)} rdi=${m.getRegister("rdi")}`),
      };
      m.setRegister("rdi", 42n);
    });
    expect(events).toEqual(["call 401000 -> 401007 ret 401005 rdi=42", "ret 40100e -> 401005 rdi=42"]);
    expect(reg(m, "rdi")).toBe(42n);
  });

  /** Code that may rewrite itself: its page writable. */
  const writable = (m: Machine) => m.memory.protect(BASE, 0x1000, PERM_RWX);

  it("a store into another block of a hot region takes effect when that block runs next", () => {
    // Each iteration rewrites the immediate of the movb at 2: with the counter.
    const m = machineFor("movl $40, %ecx; xorl %ebx, %ebx; leaq 2f(%rip), %rdi; 1: movb %cl, 1(%rdi); jmp 2f; 2: movb $0, %al; addq %rax, %rbx; decl %ecx; jnz 1b; ret", writable);
    expect(m.run().stop).toBe("ret");
    expect(reg(m, "rbx")).toBe(BigInt((40 * 41) / 2));
  });

  it("a store into code already compiled (even the running block) takes effect on the next instruction", () => {
    // The movb rewrites the immediate of the following movl from 1 to 2.
    const m = machineFor("movb $2, 1(%rip); movl $1, %eax; ret", writable);
    m.run();
    expect(reg(m, "rax")).toBe(2n);
    m.cpu.rip = BASE + 7n;
    m.callFrame(STACK_TOP);
    m.memory.poke(BASE + 8n, Uint8Array.of(3));
    m.run();
    expect(reg(m, "rax")).toBe(3n);
  });
});
