/**
 * Line-by-line comparison of pvopc's listing with GNU as's for the same source.
 */
import type { AssembleResult } from "../../src/asm/assembler.js";
import { gnuAs } from "./oracle.js";

/**
 * The warnings with which as still assembles but pvopc rejects the line: a value that does not
 * fit its field, or a size that nothing states. Every other warning is advice.
 */
export const REJECTING_WARNING = /^Error|shortened|truncated|no instruction mnemonic suffix/;

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Lines on which the two assemblers disagree, as readable strings (empty when they agree). */
export function compareWithGnu(source: string, result: AssembleResult): string[] {
  const gnu = gnuAs(source);
  const mine = new Map<number, string>();
  for (const l of result.listing) mine.set(l.line, (mine.get(l.line) ?? "") + hex(l.bytes));
  const rejected = new Map<number, string>();
  for (const d of result.diagnostics) if (d.severity === "error") rejected.set(d.file.position(d.span.start).line, `${d.code} ${d.message}`);
  const lines = source.split("\n");
  const out: string[] = [];
  for (let n = 1; n <= lines.length; n++) {
    const complaint = gnu.complaints.get(n)?.find((m) => REJECTING_WARNING.test(m));
    const ours = rejected.get(n);
    if (complaint !== undefined || ours !== undefined) {
      if ((complaint === undefined) !== (ours === undefined))
        out.push(`${n}: ${lines[n - 1]} | as: ${complaint ?? "accepted"} | pvopc: ${ours ?? "accepted"}`);
      continue;
    }
    const g = gnu.bytes.get(n) ?? "";
    const m = mine.get(n) ?? "";
    // as's listing leaves out the bytes of `.nops` (the section comparisons cover them).
    if (g === "" && /^\s*\.nops\b/.test(lines[n - 1]!)) continue;
    if (g !== m) out.push(`${n}: ${lines[n - 1]} | as: ${g} | pvopc: ${m}`);
  }
  return out;
}
