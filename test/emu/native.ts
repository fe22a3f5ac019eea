/**
 * The real CPU as an oracle: builds test/emu/native-harness.c with gcc and runs batches of
 * snippets through it, and runs the same snippets on the emulator from the same state, so
 * that tests (and bench/emu.mjs, through the same record layout) can compare the two.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Machine, type RunResult } from "../../src/emu/machine.js";
import { PERM_R, PERM_RW, PERM_RWX } from "../../src/emu/memory.js";

export const CODE_BASE = 0x10000000n;
export const CODE_MAX = 240;
export const DATA_BASE = 0x20000000n;
export const WINDOW = 512;
export const DATA_WINDOW = DATA_BASE + 0x1000n - BigInt(WINDOW / 2);
export const STACK_BASE = 0x30000000n;
export const STACK_WINDOW = STACK_BASE + 0x1000n - BigInt(WINDOW / 2);
/** The address after the read-only page: unmapped. */
export const READ_ONLY_PAGE = DATA_BASE + 0x2000n;

const INPUT_SIZE = 16 * 8 + 8 + 8 + CODE_MAX + 2 * WINDOW;
const OUTPUT_SIZE = 16 * 8 + 8 + 8 + 8 + 8 + 2 * WINDOW;
export const NO_FAULT = 0xffffffff;

export interface Snippet {
  readonly code: Uint8Array;
  /** rax rcx rdx rbx rsp rbp rsi rdi r8..r15 */
  readonly regs: readonly bigint[];
  readonly rflags: bigint;
  readonly data: Uint8Array;
  readonly stack: Uint8Array;
}

export interface FinalState {
  readonly regs: readonly bigint[];
  readonly rflags: bigint;
  readonly rip: bigint;
  /** The CPU's trap number (0 #DE, 3 #BP, 6 #UD, 13 #GP, 14 #PF), or NO_FAULT. */
  readonly trapno: number;
  readonly faultAddress: bigint;
  readonly data: Uint8Array;
  readonly stack: Uint8Array;
}

const here = dirname(fileURLToPath(import.meta.url));

/** Compiles the harness once into a temp dir; call `dispose` when done. */
export function buildHarness(): { path: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "pvopc-harness-"));
  const path = join(dir, "harness");
  execFileSync("gcc", ["-O2", "-mno-red-zone", "-o", path, join(here, "native-harness.c")], { stdio: "pipe" });
  return { path, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

function encodeInputs(snippets: readonly Snippet[]): Buffer {
  const buf = Buffer.alloc(4 + snippets.length * INPUT_SIZE);
  buf.writeUInt32LE(snippets.length, 0);
  snippets.forEach((s, i) => {
    if (s.code.length > CODE_MAX) throw new Error(`snippet ${i} is longer than ${CODE_MAX} bytes`);
    let o = 4 + i * INPUT_SIZE;
    for (const r of s.regs) {
      buf.writeBigUInt64LE(BigInt.asUintN(64, r), o);
      o += 8;
    }
    buf.writeBigUInt64LE(s.rflags, o);
    buf.writeUInt32LE(s.code.length, o + 8);
    o += 16;
    buf.set(s.code, o);
    o += CODE_MAX;
    buf.set(s.data, o);
    buf.set(s.stack, o + WINDOW);
  });
  return buf;
}

/** Runs every snippet natively in one harness process. */
export function runNative(harness: string, snippets: readonly Snippet[]): FinalState[] {
  const out = execFileSync(harness, [], { input: encodeInputs(snippets), maxBuffer: 1 << 30 });
  const states: FinalState[] = [];
  for (let i = 0; i < snippets.length; i++) {
    const o = i * OUTPUT_SIZE;
    const regs: bigint[] = [];
    for (let r = 0; r < 16; r++) regs.push(out.readBigUInt64LE(o + 8 * r));
    states.push({
      regs,
      rflags: out.readBigUInt64LE(o + 128),
      rip: out.readBigUInt64LE(o + 136),
      trapno: out.readUInt32LE(o + 144),
      faultAddress: out.readBigUInt64LE(o + 152),
      data: new Uint8Array(out.subarray(o + 160, o + 160 + WINDOW)),
      stack: new Uint8Array(out.subarray(o + 160 + WINDOW, o + 160 + 2 * WINDOW)),
    });
  }
  return states;
}

/** A machine laid out like the harness's address space, at CPL 3 as the harness runs. */
export function snippetMachine(s: Snippet): Machine {
  const m = new Machine();
  const mem = m.memory;
  mem.map(CODE_BASE, 0x1000, PERM_RWX);
  mem.poke(CODE_BASE, s.code);
  mem.map(DATA_BASE, 0x2000, PERM_RW);
  mem.map(READ_ONLY_PAGE, 0x1000, PERM_R);
  mem.map(STACK_BASE, 0x2000, PERM_RW);
  mem.poke(DATA_WINDOW, s.data);
  mem.poke(STACK_WINDOW, s.stack);
  s.regs.forEach((v, i) => m.cpu.set(i, v));
  m.cpu.rflags = s.rflags;
  m.cpu.rip = CODE_BASE;
  m.setRegister("cpl", 3n);
  // Linux runs user space with UMIP on where the CPU has it (this one does).
  // m.cpu.cr4 |= 0x800n;
  m.stopAt(CODE_BASE + BigInt(s.code.length), "end");
  return m;
}

export function runEmulated(s: Snippet, maxSteps = 100_000): { result: RunResult; state: FinalState } {
  const m = snippetMachine(s);
  const result = m.run({ maxSteps });
  const regs = Array.from({ length: 16 }, (_, i) => m.cpu.get(i));
  const state: FinalState = {
    regs,
    rflags: m.cpu.rflags,
    rip: m.cpu.rip,
    trapno: result.fault ? result.fault.number : NO_FAULT,
    faultAddress: result.fault?.address ?? 0n,
    data: m.memory.peek(DATA_WINDOW, WINDOW)!,
    stack: m.memory.peek(STACK_WINDOW, WINDOW)!,
  };
  return { result, state };
}
