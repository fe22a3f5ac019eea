/** `pvopc emu`: the report, exit codes, and the JSON-lines protocol (through the built CLI). */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

const cli = runCli;

describe("pvopc emu", () => {
  it("reports the registers and flags that changed, the dumped memory and the counters", async () => {
    const r = await cli(["emu", "--asm", "movq $7, (%rdi); movl $1, %eax; subl $1, %eax; ret", "--set", "rdi=0x600000", "--map", "0x600000:ffffffffffffffff", "--dump", "0x600000:8"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("returned after 4 instructions");
    expect(r.stdout).toMatch(/rflags 0x202 -> 0x246 {2}\[IF\] -> \[PF ZF IF\]/);
    expect(r.stdout).toContain("0x600000: 07 00 00 00 00 00 00 00");
    expect(r.stdout).toContain("counters: 4 instructions (0 nops), 0 calls, 1 returns, 0 pushes, 1 pops, 1 memory reads, 1 memory writes");
  });

  it("traces each instruction and exits 1 on a fault, naming it", async () => {
    const r = await cli(["emu", "--hex", "b8010000000f0b", "--trace"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/0x400000: mov +\$0x1,%eax +rax=0x1/);
    expect(r.stdout).toContain("fault: #UD at 0x400005: ud2");
  });

  it("stops at --max-steps and sets any register, cr3 and gs_base included", async () => {
    const r = await cli(["emu", "--asm", "mov %cr3, %rax; mov %gs:0, %rbx; 1: jmp 1b", "--set", "cr3=0x1000", "--set", "gs_base=0x600000", "--map", "0x600000:2a", "--max-steps", "10"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("hit the step limit after 10 instructions");
    expect(r.stdout).toContain("rax    0x0 -> 0x1000");
    expect(r.stdout).toContain("rbx    0x0 -> 0x2a");
  });

  it("rejects bad options with exit 2", async () => {
    expect((await cli(["emu", "--hex", "zz"])).code).toBe(2);
    expect((await cli(["emu", "--hex", "90", "--set", "xyz=1"])).code).toBe(2);
    expect((await cli(["emu"])).code).toBe(2);
  });
});

describe("pvopc emu --jsonl", () => {
  const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "bin", "pvopc");
  it("answers each line, and a malformed line with an error without stopping", () => {
    // bin/pvopc runs dist/, which `npm test` builds before the suite starts.
    const input = [
      JSON.stringify({ hex: "4889f8c3", regs: { rdi: "0x1234" } }),
      "{not json",
      JSON.stringify({ asm: "movq $1, (%rdi); ud2", regs: { rdi: "0x600000" }, memory: [{ addr: "0x600000", hex: "00" }], dump: [{ addr: "0x600000", len: 8 }] }),
      JSON.stringify({ hex: "90", regs: { nosuch: "1" } }),
    ].join("\n");
    const r = spawnSync("node", [bin, "emu", "--jsonl"], { input, encoding: "utf8" });
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatchObject({ stop: "ret", steps: 2, fault: null, regs: { rax: "0x1234", rip: "0x7ffffffff000" }, counters: { returns: 1 } });
    expect(lines[1].error).toMatch(/malformed JSON/);
    expect(lines[2]).toMatchObject({ stop: "fault", fault: { vector: "#UD", rip: "0x400007" }, dump: [{ addr: "0x600000", hex: "0100000000000000" }] });
    expect(lines[3].error).toMatch(/unknown register 'nosuch'/);
  });
});
