// Assembler benchmark: pvopc's assemble() against GNU as on the same generated 200,000-line
// file of kernel-style code (functions with prologues, local branches both ways, calls to
// external symbols, rip-relative and indexed memory operands with varied displacements and
// immediates, lock-prefixed atomics, alignment between functions, a data section with
// relocations). In-process and through the CLI; imports the compiled library from dist/.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { assemble } from "../dist/asm/assembler.js";
import { SourceFile } from "../dist/diag/diagnostic.js";
import { best } from "./timing.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const LINES = 200_000;

/** A deterministic generator (mulberry32), so every run assembles the same file. */
function random(seed) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The benchmark source: about `lines` lines of functions, then data. */
export function generate(lines = LINES) {
  const rnd = random(2024);
  const pick = (list) => list[Math.floor(rnd() * list.length)];
  const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));
  const r64 = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];
  const r32 = ["eax", "ebx", "ecx", "edx", "esi", "edi", "r8d", "r9d", "r12d"];
  const disp = () => pick(["", "8", "0x10", "-8", "0x80", "0x1f8", "-0x100", String(int(0, 4096))]);
  const out = [];
  let fn = 0;
  while (out.length < lines) {
    const name = `func_${fn++}`;
    out.push(".p2align 4", `.globl ${name}`, `.type ${name}, @function`, `${name}:`, "pushq %rbp", "movq %rsp, %rbp", "pushq %rbx", "pushq %r12");
    const body = int(20, 60);
    const defined = new Set();
    for (let i = 0; i < body; i++) {
      const k = int(0, 15);
      if (k === 0) {
        defined.add(i);
        out.push(`.L${fn}_${i}:`);
      }
      else if (k === 1) out.push(`${pick(["jne", "je", "jl", "jg", "jmp"])} .L${fn}_${int(0, body)}`);
      else if (k === 2) out.push(`call ${pick(["kmalloc", "kfree", "printk", "schedule", "mutex_lock"])}`);
      else if (k === 3) out.push(`movq ${disp()}(%${pick(r64)}), %${pick(r64)}`);
      else if (k === 4) out.push(`movl %${pick(r32)}, ${disp()}(%${pick(r64)},%${pick(r64.filter((r) => r !== "rsp"))},${pick([1, 2, 4, 8])})`);
      else if (k === 5) out.push(`addq $${int(-200, 70000)}, %${pick(r64)}`);
      else if (k === 6) out.push(`cmpl $${int(0, 300)}, %${pick(r32)}`);
      else if (k === 7) out.push(`movq ${pick(["jiffies", "current_task", "pv_ops+8", "per_cpu_offset"])}(%rip), %${pick(r64)}`);
      else if (k === 8) out.push(`lock cmpxchgq %${pick(r64)}, ${disp()}(%rdi)`);
      else if (k === 9) out.push(`xorl %eax, %eax`);
      else if (k === 10) out.push(`testb $${int(1, 128)}, ${disp()}(%${pick(r64)})`);
      else if (k === 11) out.push(`leaq ${disp()}(%${pick(r64)},%${pick(r64.filter((r) => r !== "rsp"))},${pick([1, 2, 4, 8])}), %${pick(r64)}`);
      else if (k === 12) out.push(`movb $1, %gs:${pick(["vcpu_info", "preempt_count"])}+${int(0, 63)}`);
      else if (k === 13) out.push(`shrq $${int(1, 63)}, %${pick(r64)}`);
      else if (k === 14) out.push(`movl $${int(0, 1 << 20)}, %${pick(r32)}  # constant`);
      else out.push(`imulq $${int(2, 1000)}, %${pick(r64)}, %${pick(r64)}`);
    }
    for (let i = 0; i <= body; i++) if (!defined.has(i)) out.push(`.L${fn}_${i}:`);
    out.push("popq %r12", "popq %rbx", "popq %rbp", "ret", `.size ${name}, . - ${name}`);
  }
  out.push(".data", ".p2align 3", "func_table:");
  for (let i = 0; i < fn; i++) out.push(`.quad func_${i}`);
  return out.join("\n") + "\n";
}

export async function run() {
  const dir = mkdtempSync(join(tmpdir(), "pvopc-bench-"));
  try {
    const file = join(dir, "bench.s");
    writeFileSync(file, generate());
    // The text as read from the file, as as and the CLI read it (the generated string is a rope
    // of concatenations, which V8 reads more slowly than a flat string).
    const source = readFileSync(file, "utf8");
    const lineCount = source.split("\n").length - 1;
    const sourceFile = new SourceFile(file, source);
    const check = assemble(sourceFile);
    if (check.diagnostics.length) throw new Error(`bench source has errors: ${check.diagnostics[0].message}`);
    const quiet = { stdio: ["ignore", "ignore", "inherit"], maxBuffer: 1 << 30 };
    // Runs of the two alternate, so that a change in the machine's load weighs on both alike.
    let inProcessMs = Infinity;
    let asMs = Infinity;
    for (let i = 0; i < 10; i++) {
      inProcessMs = Math.min(inProcessMs, best(1, () => assemble(new SourceFile(file, source))));
      asMs = Math.min(asMs, best(1, () => spawnSync("as", ["--64", "--noexecstack", "-o", join(dir, "gnu.o"), file], quiet)));
    }
    const cliMs = best(3, () => spawnSync(process.execPath, [join(here, "../bin/pvopc"), "asm", file, "-o", join(dir, "pvopc.o")], quiet));
    const same = Buffer.compare(readFileSync(join(dir, "gnu.o")), readFileSync(join(dir, "pvopc.o"))) === 0;
    const peer = "GNU as --64 (binutils)";
    return [
      { name: `assemble(), in-process, ${lineCount} lines`, value: inProcessMs, unit: "ms", peer, ratio: inProcessMs / asMs },
      { name: "pvopc asm FILE -o OUT (CLI, incl. Node start-up and ELF writing)", value: cliMs, unit: "ms", peer, ratio: cliMs / asMs, note: same ? "the object is byte-identical to as's" : "the objects DIFFER" },
      { name: "as --64 --noexecstack -o OUT, same file", value: asMs, unit: "ms" },
      { name: "throughput, in-process", value: (lineCount / inProcessMs) * 1000, unit: "lines/s" },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(await run());
