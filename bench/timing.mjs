// Timing helpers shared by the benchmarks.

/** Best wall time of `runs` calls of fn, in milliseconds (the minimum filters out a noisy machine). */
export function best(runs, fn) {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    fn();
    min = Math.min(min, Number(process.hrtime.bigint() - t) / 1e6);
  }
  return min;
}
