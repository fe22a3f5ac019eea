/** Small helpers for the emulator's unit tests: assemble with pvopc's assembler, load, run. */
import { Machine, type RunOptions, type RunResult } from "../../src/emu/machine.js";
import { assembleCode } from "../../src/emu/request.js";

export const BASE = 0x401000n;
export const STACK_TOP = 0x7ff00000n;

export function code(text: string): Uint8Array {
  const bytes = assembleCode(text, BASE);
  if ("error" in bytes) throw new Error(bytes.error);
  return bytes;
}

/** A machine with `text` loaded at BASE (r-x), a stack with the return sentinel, rip at BASE. */
export function machineFor(text: string, setup?: (m: Machine) => void): Machine {
  const m = new Machine();
  const bytes = code(text);
  m.load(BASE, bytes);
  m.stopAt(BASE + BigInt(bytes.length), "end");
  m.callFrame(STACK_TOP);
  m.cpu.rip = BASE;
  setup?.(m);
  return m;
}

export function run(text: string, setup?: (m: Machine) => void, options?: RunOptions): { m: Machine; r: RunResult } {
  const m = machineFor(text, setup);
  return { m, r: m.run(options) };
}

export const reg = (m: Machine, name: string): bigint => m.getRegister(name)!;
