// Emulator speed: emulated instructions per second on a tight integer loop, and the slowdown
// against the same bytes run natively by test/emu/native-harness.c (built with gcc here), in
// the same run. Imports the compiled emulator from dist/ (run `npx tsc -p .` first).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Machine } from "../dist/emu/machine.js";

const ITERATIONS = 4_000_000;
const SETUP = 4;
const PER_ITERATION = 7;

/**
 * The loop, as bytes so that the bench needs no assembler: adds, a logic op, a load from the
 * stack (8(%rsp) is zero both here and in the harness), a counter and a compare-and-branch.
 */
function loopCode(iterations) {
  const n = [iterations & 0xff, (iterations >> 8) & 0xff, (iterations >> 16) & 0xff, (iterations >>> 24) & 0xff];
  return Uint8Array.from([
    0xbe, ...n, // mov $n, %esi
    0x31, 0xc9, // xor %ecx, %ecx
    0x31, 0xc0, // xor %eax, %eax
    0x31, 0xd2, // xor %edx, %edx
    0x48, 0x01, 0xc8, // 1: add %rcx, %rax
    0x48, 0x31, 0xc2, // xor %rax, %rdx
    0x48, 0x03, 0x54, 0x24, 0x08, // add 8(%rsp), %rdx
    0x48, 0x83, 0xe2, 0xfe, // and $-2, %rdx
    0x48, 0xff, 0xc1, // inc %rcx
    0x48, 0x39, 0xf1, // cmp %rsi, %rcx
    0x72, 0xe9, // jb 1b
  ]);
}
const instructions = (iterations) => SETUP + PER_ITERATION * iterations;

/**
 * A machine with the loop loaded, and a function that runs it once from the harness's starting
 * state (registers zero but rsp) and returns the nanoseconds it took. Like the harness, which
 * runs the bytes repeatedly in one process, it keeps its compiled code between runs: the best
 * run measures the emulator warmed up, not V8 compiling the generated code.
 */
function emulator(iterations) {
  const code = loopCode(iterations);
  const m = new Machine();
  m.load(0x400000n, code);
  m.stopAt(0x400000n + BigInt(code.length), "end");
  return () => {
    for (let i = 0; i < 16; i++) m.cpu.set(i, 0n);
    m.callFrame(0x800000n);
    m.cpu.rflags = 0x202n;
    m.cpu.rip = 0x400000n;
    const t0 = process.hrtime.bigint();
    const result = m.run({ maxSteps: instructions(iterations) + 10 });
    const ns = Number(process.hrtime.bigint() - t0);
    if (result.stop !== "end" || result.steps !== instructions(iterations)) throw new Error(`bench loop stopped with ${result.stop} after ${result.steps}`);
    return ns;
  };
}

function native(code) {
  const here = dirname(fileURLToPath(import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), "pvopc-bench-"));
  try {
    const harness = join(dir, "harness");
    execFileSync("gcc", ["-O2", "-mno-red-zone", "-o", harness, join(here, "..", "test", "emu", "native-harness.c")], { stdio: "pipe" });
    const input = Buffer.concat([Buffer.from([1, 0, 0, 0]), Buffer.from(code)]);
    return Number(execFileSync(harness, ["bench", "20"], { input }).toString().trim());
  } catch {
    return undefined; // no gcc, or a CPU the harness cannot run on: report the emulator alone
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run() {
  const emulate = emulator(ITERATIONS);
  const best = Math.min(...Array.from({ length: 10 }, emulate));
  const perSecond = instructions(ITERATIONS) / (best / 1e9);
  const nativeNs = native(loopCode(ITERATIONS));
  const rows = [{ name: "emu: integer loop, emulated instructions per second", value: Math.round(perSecond / 1e6), unit: "M instr/s" }];
  if (nativeNs !== undefined) {
    rows.push({
      name: "emu: integer loop, slowdown against this CPU (goal < 20x)",
      value: Number((best / nativeNs).toFixed(1)),
      unit: "x slower",
      peer: `native ${(instructions(ITERATIONS) / (nativeNs / 1e9) / 1e6).toFixed(0)} M instr/s`,
      ratio: Number((best / nativeNs).toFixed(1)),
    });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) console.table(await run());
