/**
 * Generated callee-save thunks on the real CPU: thunk-harness.c fills every register with a
 * pattern, calls the thunk, which calls a gcc-compiled C function that dirties every register
 * convention c lets it clobber; every register but rax must survive, and the C function must
 * see a 16-byte aligned stack. A thunk with one save left out must fail the same harness.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkText } from "../../src/lang/index.js";
import { build } from "../../src/pvop/build.js";
import { run, withTempDir } from "../support/toolchain.js";

const HARNESS = join(import.meta.dirname, "thunk-harness.c");

function source(clobbers: string): string {
  return `target x86_64
group g {
  op f(a: u64, b: u64, c: u64, d: u64, e: u64, f: u64) -> u64 { convention callee_save; ${clobbers}native { movq %rdi, %rax } }
}
backend b { impl g.f = c victim }
`;
}

interface ThunkRun {
  /** Registers the thunk may change, as a mask in the harness's NAMES order. */
  readonly allowed?: string;
  readonly editAssembly?: (s: string) => string;
  /** Replace the harness's C victim with this assembly function (a model body made real). */
  readonly asmVictim?: string;
}

/** Builds the .pvop, links its object with the harness, runs it: [exit status, output]. */
function runThunk(text: string, { allowed = "0x1", editAssembly = (s) => s, asmVictim }: ThunkRun = {}): { status: number; output: string } {
  const checked = checkText(text, "thunk.pvop");
  expect(checked.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const result = build(checked.model, { sourceName: "thunk.pvop", baseName: "thunk" });
  if (!result.ok) throw new Error("build failed");
  return withTempDir((dir) => {
    writeFileSync(join(dir, "thunk.S"), editAssembly(result.artifacts.assembly));
    run("as", ["--64", "-o", join(dir, "thunk.o"), join(dir, "thunk.S")]);
    const exe = join(dir, "harness");
    const victim: string[] = [];
    if (asmVictim) {
      writeFileSync(join(dir, "victim.s"), `\t.text\n\t.globl victim\nvictim:\n${asmVictim}\n\tincq victim_calls(%rip)\n\tret\n`);
      victim.push("-Dvictim=c_victim_unused", join(dir, "victim.s"));
    }
    run("gcc", ["-O2", "-fno-omit-frame-pointer", "-DTHUNK=__raw_callee_save_victim", `-DALLOWED=${allowed}`, "-o", exe, HARNESS, ...victim, join(dir, "thunk.o")]);
    try {
      return { status: 0, output: run(exe, []) };
    } catch (e) {
      const err = e as { status: number | null; stdout?: string };
      return { status: err.status ?? -1, output: err.stdout ?? "" };
    }
  });
}

describe("callee-save thunk on the CPU", () => {
  it("preserves every register but rax around a C function that clobbers all it may", () => {
    const r = runThunk(source(""));
    expect(r.output).toContain("calls 1 misaligned 0");
    expect(r.status).toBe(0);
  });

  it("is caught by the harness when a save is missing", () => {
    const r = runThunk(source(""), { editAssembly: (s) => s.replace(/\tpushq %r9\n/, "").replace(/\tpopq %r9\n/, "") });
    expect(r.status).not.toBe(0);
  });

  it("keeps the stack aligned whether the number of saves is odd or even", () => {
    // clobbers rax, rcx: the thunk saves 7 registers (odd) instead of 8 (even).
    const r = runThunk(source("clobbers rax, rcx; "), { allowed: "0x3" });
    expect(r.output).toContain("calls 1 misaligned 0");
    expect(r.status).toBe(0);
  });

  it("saves only what a visible model writes, and that is enough for code that matches it", () => {
    const model = "movq %rdi, %rax\n    addq %rsi, %rax\n    xorl %ecx, %ecx";
    const text = source("").replace("= c victim", `= c victim {\n    ${model}\n  }`);
    const checked = checkText(text, "thunk.pvop");
    const result = build(checked.model, { sourceName: "thunk.pvop", baseName: "thunk" });
    if (!result.ok) throw new Error("build failed");
    expect(result.report.thunks.map((t) => t.saves.map((r) => r.name))).toEqual([["rcx"]]);
    const r = runThunk(text, { asmVictim: model });
    expect(r.output).toContain("calls 1 misaligned 0");
    expect(r.status).toBe(0);
  });
});
