// Front-end benchmark: checking a generated file of 10,000 ops, and how the time grows from
// 1,000 to 100,000 ops (it should grow linearly: the per-op time stays flat). Imports dist/.
import { SourceFile } from "../dist/diag/diagnostic.js";
import { check } from "../dist/lang/index.js";
import { PerformanceObserver } from "node:perf_hooks";
import { best } from "./timing.mjs";

const BODIES = ["cli", "sti", "pushfq; popq %rax", "pushq %rdi; popfq", "movq %rdi, %rax", "xorl %eax, %eax"];

/** A file with `n` ops in groups of 100 (every fifth documented), a backend binding every tenth op, and one scenario per group. */
export function generate(n) {
  const out = ["target x86_64", ""];
  const groups = Math.ceil(n / 100);
  for (let g = 0; g < groups; g++) {
    out.push(`group g${g} {`);
    for (let i = 0; i < 100 && g * 100 + i < n; i++) {
      const k = g * 100 + i;
      if (k % 5 === 0) out.push(`  /// Op ${k}: documented, as hover shows it.`);
      if (k % 7 === 3) out.push(`  op op${i}(x: u64) -> u64 { convention callee_save; identity }`);
      else if (k % 7 === 5) out.push(`  op op${i}(x: u64) { nop }`);
      else out.push(`  op op${i}(x: u64) -> u64 { native { ${BODIES[k % BODIES.length]} } }`);
    }
    out.push("}", "");
  }
  out.push("backend hv {", "  data hv_state: 64");
  for (let k = 0; k < n; k += 10) out.push(`  impl g${Math.floor(k / 100)}.op${k % 100} = c hv_op${k}`);
  out.push("}", "");
  for (let g = 0; g < groups; g++) out.push(`scenario s${g} {`, "  init { rdi = 1 }", `  code { pvcall g${g}.op0; movq %rax, %rbx; pvcall g${g}.op1, room 8 }`, "}", "");
  return out.join("\n");
}

/** Checks a generated file of n ops; throws if the generator made a file with errors. */
function checkGenerated(file) {
  const errors = check(file).diagnostics.filter((d) => d.severity === "error");
  if (errors.length) throw new Error(`generated file has errors: ${errors[0].message}`);
}

function bestCheck(n, runs) {
  const file = new SourceFile(`bench-${n}.pvop`, generate(n));
  return best(runs, () => checkGenerated(file));
}

/** Best of how many runs, by file size: small files are quick and noisy, big ones slow and steady. */
const RUNS = new Map([
  [1_000, 20],
  [10_000, 5],
  [100_000, 2],
]);

/** Milliseconds of garbage collection (V8's "gc" performance entries) while `fn` runs. */
async function collectorTime(fn) {
  let total = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) total += entry.duration;
  });
  observer.observe({ entryTypes: ["gc"] });
  const value = fn();
  // The entries are delivered asynchronously.
  await new Promise((resolve) => setTimeout(resolve, 10));
  observer.disconnect();
  return { value, gc: total };
}

export async function run() {
  // Warm up the JIT and build the parser: the first files checked in a process are slower.
  bestCheck(10_000, 1);
  bestCheck(1_000, 5);
  const sizes = [];
  for (const [n, runs] of RUNS) {
    const { value, gc } = await collectorTime(() => bestCheck(n, runs));
    sizes.push({ n, perOp: value / n, gcPerOp: gc / runs / n });
  }
  const base = sizes[0].perOp;
  const rows = [{ name: "check: 10,000 ops", value: Math.round(sizes.find((s) => s.n === 10_000).perOp * 10_000), unit: "ms" }];
  for (const { n, perOp, gcPerOp } of sizes) {
    rows.push({
      name: `check: per op at ${n.toLocaleString("en-US")} ops`,
      value: Number((perOp * 1000).toFixed(1)),
      unit: "µs/op",
      peer: "per-op time of a 1,000-op file",
      ratio: Number((perOp / base).toFixed(2)),
      note: `1 means linear growth; garbage collection ${(gcPerOp * 1000).toFixed(1)} µs/op (mean of the runs)`,
    });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) console.table(await run());
