/**
 * What user space cannot run natively, checked against the Intel SDM: interrupt flag and
 * rflags handling, control and debug registers, MSRs and swapgs, hlt, iretq, syscall/sysret,
 * descriptor-table registers, and privilege faults at CPL 3.
 */
import { describe, expect, it } from "vitest";
import { MSR_EFER, MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_LSTAR } from "../../src/emu/cpu.js";
import { PERM_RW } from "../../src/emu/memory.js";
import { BASE, reg, run } from "./util.js";

const IF = 0x200n;

describe("interrupt flag, pushf and popf", () => {
  it("cli clears IF and sti sets it at CPL 0", () => {
    const a = run("cli");
    expect(a.r.stop).toBe("end");
    expect(reg(a.m, "rflags") & IF).toBe(0n);
    const b = run("sti", (m) => m.setRegister("rflags", 0x2n));
    expect(reg(b.m, "rflags") & IF).toBe(IF);
  });

  it("save_fl and restore_fl round-trip IF through the stack (pushfq; popq %rax / pushq %rdi; popfq)", () => {
    const { m } = run("cli; pushfq; popq %rax; sti; pushq %rdi; popfq", (m) => m.setRegister("rdi", 0x202n));
    expect(reg(m, "rax") & IF).toBe(0n);
    expect(reg(m, "rflags")).toBe(0x202n);
  });

  it("popf at CPL 0 loads IF, DF, IOPL and the status flags; bit 1 stays set, reserved bits stay clear", () => {
    const { m } = run("pushq %rdi; popfq", (m) => m.setRegister("rdi", 0xffffffffn));
    expect(reg(m, "rflags")).toBe(0x247fd7n); // VM (bit 17) and RF (bit 16) are not popf's to load
  });

  it("popf at CPL 3 with IOPL 0 changes neither IF nor IOPL (no fault)", () => {
    const { m, r } = run("pushq %rdi; popfq", (m) => {
      m.setRegister("rdi", 0x3cd5n);
      m.setRegister("cpl", 3n);
    });
    expect(r.stop).toBe("end");
    expect(reg(m, "rflags")).toBe(0x202n | 0x0cd5n);
  });

  it("cli and sti #GP at CPL 3 when IOPL < 3, and work with IOPL 3", () => {
    for (const insn of ["cli", "sti"]) {
      const { m, r } = run(insn, (m) => m.setRegister("cpl", 3n));
      expect(r.fault?.vector).toBe("#GP");
      expect(r.fault?.rip).toBe(BASE);
      expect(reg(m, "rip")).toBe(BASE);
    }
    const ok = run("cli", (m) => {
      m.setRegister("rflags", 0x3202n);
      m.setRegister("cpl", 3n);
    });
    expect(ok.r.stop).toBe("end");
    expect(reg(ok.m, "rflags") & IF).toBe(0n);
  });

  it("pushf never shows RF; pushfw pushes 16 bits", () => {
    const { m } = run("pushfw; popw %ax", (m) => m.setRegister("rflags", 0x10ad7n));
    expect(reg(m, "rax")).toBe(0x0ad7n);
  });
});

describe("control and debug registers", () => {
  it("read_cr2, read_cr3 and write_cr3 move 64-bit values (0f 20 d0, 0f 20 d8, 0f 22 df)", () => {
    const { m } = run("mov %cr2, %rax; mov %rdi, %cr3; mov %cr3, %rbx", (m) => {
      m.setRegister("cr2", 0xdeadbeef000n);
      m.setRegister("rdi", 0x1234000n);
    });
    expect(reg(m, "rax")).toBe(0xdeadbeef000n);
    expect(reg(m, "cr3")).toBe(0x1234000n);
    expect(reg(m, "rbx")).toBe(0x1234000n);
  });

  it("cr8 holds the task priority (4 bits); larger values #GP", () => {
    expect(reg(run("mov %rdi, %cr8", (m) => m.setRegister("rdi", 15n)).m, "cr8")).toBe(15n);
    expect(run("mov %rdi, %cr8", (m) => m.setRegister("rdi", 16n)).r.fault?.vector).toBe("#GP");
  });

  it("clts clears CR0.TS", () => {
    const { m } = run("clts", (m) => m.setRegister("cr0", 0x8005003bn));
    expect(reg(m, "cr0")).toBe(0x80050033n);
  });

  it("debug registers: db0 and db7 are read and written; db4/db5 alias db6/db7 while CR4.DE is clear", () => {
    const { m } = run("mov %rdi, %db0; mov %db0, %rax; mov %db5, %rbx", (m) => m.setRegister("rdi", 0x401000n));
    expect(reg(m, "rax")).toBe(0x401000n);
    expect(reg(m, "rbx")).toBe(reg(m, "dr7"));
    const de = run("mov %db4, %rax", (m) => m.setRegister("cr4", 0x8n));
    expect(de.r.fault?.vector).toBe("#UD");
  });

  it("invlpg and wbinvd are no-ops at CPL 0 that leave memory and registers alone", () => {
    const { m, r } = run("invlpg (%rax); wbinvd", (m) => m.setRegister("rax", 0xdead0000n));
    expect(r.stop).toBe("end");
    expect(r.counters.memoryReads).toBe(0);
    expect(reg(m, "rax")).toBe(0xdead0000n);
  });
});

describe("MSRs and swapgs", () => {
  it("wrmsr and rdmsr reach the fs/gs bases through their MSRs", () => {
    const { m } = run("wrmsr; movl $0xc0000101, %ecx; rdmsr", (m) => {
      m.setRegister("rcx", BigInt(MSR_FS_BASE));
      m.setRegister("rdx", 0x7fffn);
      m.setRegister("rax", 0x12345678n);
      m.setRegister("gs_base", 0xffff888000001000n);
    });
    expect(reg(m, "fs_base")).toBe(0x7fff12345678n);
    expect(reg(m, "rdx")).toBe(0xffff8880n);
    expect(reg(m, "rax")).toBe(0x00001000n);
  });

  it("swapgs exchanges IA32_GS_BASE and IA32_KERNEL_GS_BASE, and %gs: operands follow it", () => {
    const { m } = run("swapgs; movq %gs:8, %rax; swapgs; movq %gs:8, %rbx", (m) => {
      m.setRegister("gs_base", 0x600000n);
      m.setRegister(`msr:0x${MSR_KERNEL_GS_BASE.toString(16)}`, 0x700000n);
      m.memory.map(0x600000n, 0x2000, PERM_RW);
      m.memory.map(0x700000n, 0x1000, PERM_RW);
      m.memory.poke(0x600008n, Uint8Array.of(0x11));
      m.memory.poke(0x700008n, Uint8Array.of(0x22));
    });
    expect(reg(m, "rax")).toBe(0x22n);
    expect(reg(m, "rbx")).toBe(0x11n);
    expect(reg(m, `msr:0x${MSR_GS_BASE.toString(16)}`)).toBe(0x600000n);
  });

  it("rdmsr of an MSR the machine does not have #GPs; wrmsr of a non-canonical base #GPs", () => {
    expect(run("rdmsr", (m) => m.setRegister("rcx", 0x12345n)).r.fault?.vector).toBe("#GP");
    const bad = run("wrmsr", (m) => {
      m.setRegister("rcx", BigInt(MSR_FS_BASE));
      m.setRegister("rdx", 0x12340000n);
    });
    expect(bad.r.fault?.vector).toBe("#GP");
    expect(reg(bad.m, "fs_base")).toBe(0n);
  });

  it("rdtsc is deterministic: the base plus instructions retired", () => {
    const { m } = run("nop; nop; rdtsc", (m) => m.setRegister("msr:0x10", 1000n));
    expect(reg(m, "rax")).toBe(1002n);
    expect(reg(m, "rdx")).toBe(0n);
  });

  it("cpuid answers configured leaves", () => {
    const { m } = run("cpuid", (m) => {
      m.cpu.cpuid.set("40000000", { eax: 0x40000001, ebx: 0x4b4d564b, ecx: 0x564b4d56, edx: 0x4d });
      m.setRegister("rax", 0x40000000n);
    });
    expect([reg(m, "rax"), reg(m, "rbx"), reg(m, "rcx"), reg(m, "rdx")]).toEqual([0x40000001n, 0x4b4d564bn, 0x564b4d56n, 0x4dn]);
  });
});

describe("hlt, iretq, syscall and sysret", () => {
  it("hlt stops the run with rip after it and the halted flag set", () => {
    const { m, r } = run("movl $1, %eax; hlt; movl $2, %eax");
    expect(r.stop).toBe("hlt");
    expect(reg(m, "rax")).toBe(1n);
    expect(reg(m, "rip")).toBe(BASE + 6n);
    expect(m.cpu.halted).toBe(true);
  });

  it("iretq pops rip, cs, rflags, rsp and ss, and returns to CPL 3 when cs says so", () => {
    const { m, r } = run("pushq $0x2b; pushq %rsi; pushq $0x246; pushq $0x33; pushq %rdi; iretq", (m) => {
      m.setRegister("rdi", BASE + 0x100n);
      m.setRegister("rsi", 0x7fe00000n);
    });
    expect(r.fault?.vector).toBe("#PF"); // nothing is mapped at BASE + 0x100: the fetch faults there
    expect(reg(m, "rip")).toBe(BASE + 0x100n);
    expect(reg(m, "rsp")).toBe(0x7fe00000n);
    expect(reg(m, "rflags")).toBe(0x246n);
    expect(reg(m, "cpl")).toBe(3n);
  });

  it("syscall saves rip in rcx and rflags in r11, masks rflags with FMASK and jumps to LSTAR; sysretq returns to CPL 3", () => {
    const { m, r } = run("syscall", (m) => {
      m.setRegister(`msr:0x${MSR_LSTAR.toString(16)}`, BASE + 0x20n);
      m.setRegister("msr:0xc0000084", 0x200n);
      m.setRegister("cpl", 3n);
    });
    expect(r.fault?.rip).toBe(BASE + 0x20n);
    expect(reg(m, "rcx")).toBe(BASE + 2n);
    expect(reg(m, "r11")).toBe(0x202n);
    expect(reg(m, "rflags") & IF).toBe(0n);
    expect(reg(m, "cpl")).toBe(0n);
    const back = run("sysretq", (m) => {
      m.setRegister("rcx", BASE + 0x40n);
      m.setRegister("r11", 0x10246n);
    });
    expect(reg(back.m, "rip")).toBe(BASE + 0x40n);
    expect(reg(back.m, "rflags")).toBe(0x246n);
    expect(reg(back.m, "cpl")).toBe(3n);
  });

  it("syscall #UDs when EFER.SCE is clear", () => {
    const { r } = run("syscall", (m) => m.setRegister(`msr:0x${MSR_EFER.toString(16)}`, 0xd00n));
    expect(r.fault?.vector).toBe("#UD");
  });

  it("lgdt and sgdt, lidt and sidt, ltr and str carry the descriptor-table registers", () => {
    const { m } = run("lgdt (%rdi); sgdt 16(%rdi); lidt (%rdi); movw $0x40, %ax; ltr %ax; str %ecx", (m) => {
      m.memory.map(0x600000n, 0x1000, PERM_RW);
      m.memory.poke(0x600000n, Uint8Array.of(0x7f, 0, 0x00, 0x10, 0, 0, 0, 0xfe, 0xff, 0xff));
      m.setRegister("rdi", 0x600000n);
    });
    expect(m.cpu.gdtr).toEqual({ base: 0xfffffe0000001000n, limit: 0x7f });
    expect(m.cpu.idtr).toEqual({ base: 0xfffffe0000001000n, limit: 0x7f });
    expect(m.memory.peek(0x600010n, 10)).toEqual(m.memory.peek(0x600000n, 10));
    expect(reg(m, "rcx")).toBe(0x40n);
  });
});

describe("privilege at CPL 3", () => {
  const privileged = ["hlt", "mov %cr3, %rax", "mov %rax, %cr3", "mov %db7, %rax", "rdmsr", "wrmsr", "wbinvd", "invlpg (%rax)", "swapgs", "clts", "lgdt (%rax)", "lidt (%rax)", "ltr %ax", "lldt %ax", "sysretq"];
  for (const insn of privileged) {
    it(`${insn} raises #GP with the state untouched`, () => {
      const { m, r } = run(`movl $7, %ebx; ${insn}`, (m) => m.setRegister("cpl", 3n));
      expect(r.stop).toBe("fault");
      expect(r.fault?.vector).toBe("#GP");
      expect(r.fault?.rip).toBe(BASE + 5n);
      expect(reg(m, "rip")).toBe(BASE + 5n);
      expect(reg(m, "rbx")).toBe(7n);
      expect(r.steps).toBe(1);
    });
  }

  it("clac and stac #UD at CPL 3, and set and clear AC at CPL 0", () => {
    expect(run("stac", (m) => m.setRegister("cpl", 3n)).r.fault?.vector).toBe("#UD");
    expect(reg(run("stac").m, "rflags") & 0x40000n).toBe(0x40000n);
    expect(reg(run("stac; clac").m, "rflags") & 0x40000n).toBe(0n);
  });

  it("sgdt #GPs at CPL 3 only with CR4.UMIP", () => {
    const setup = (umip: boolean) => (m: import("../../src/emu/machine.js").Machine) => {
      m.setRegister("cpl", 3n);
      m.setRegister("cr4", umip ? 0x3406e0n | 0x800n : 0x3406e0n);
      m.memory.map(0x600000n, 0x1000, PERM_RW);
      m.setRegister("rax", 0x600000n);
    };
    expect(run("sgdt (%rax)", setup(true)).r.fault?.vector).toBe("#GP");
    expect(run("sgdt (%rax)", setup(false)).r.stop).toBe("end");
  });
});
