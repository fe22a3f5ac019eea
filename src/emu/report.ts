/**
 * The human-readable report of an emulator run (what `pvopc emu` prints): the trace, why the
 * run stopped, the registers that changed, dumped memory and the counters.
 */
import { appendAll } from "../util/array.js";
import { flagNames } from "../x86/flags.js";
import { formatInstruction } from "../x86/print.js";
import { faultJson, type EmuOutcome } from "./request.js";

const hex = (v: bigint) => "0x" + v.toString(16);
function hexdump(addr: bigint, bytes: Uint8Array): string[] {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const row = Array.from(bytes.subarray(i, i + 16), (b) => b.toString(16).padStart(2, "0")).join(" ");
    lines.push(`  ${hex(addr + BigInt(i)).padStart(18)}: ${row}`);
  }
  return lines;
}

/** The human-readable report of one run. */
export function formatReport(o: EmuOutcome): string {
  const out: string[] = [];
  for (const step of o.trace) {
    const text = formatInstruction(step.instruction, step.address, step.length);
    const changes = step.changes.map((c) => `${c.name}=${hex(c.after)}${c.name === "rflags" ? ` [${flagNames(c.after)}]` : ""}`).join(" ");
    out.push(`${hex(step.address).padStart(18)}: ${text.padEnd(40)} ${changes}`.trimEnd());
  }
  if (o.trace.length) out.push("");
  const r = o.result;
  const stop = { ret: "returned", end: "reached the end of the code", hlt: "halted", fault: "faulted", limit: "hit the step limit" }[r.stop];
  out.push(`${stop} after ${r.steps} instruction${r.steps === 1 ? "" : "s"}`);
  if (r.fault) {
    const f = faultJson(r.fault);
    out.push(`fault: ${f.vector}${f.vector === "INT" ? ` ${f.number}` : ""} at ${f.rip}: ${f.message}`);
  }
  const after = o.machine.registers();
  const changed = Object.keys(after).filter((k) => k !== "rip" && after[k] !== o.before[k]);
  out.push(changed.length ? "registers changed:" : "no register changed");
  for (const name of changed) {
    const note = name === "rflags" ? `  [${flagNames(o.before[name]!)}] -> [${flagNames(after[name]!)}]` : "";
    out.push(`  ${name.padEnd(6)} ${hex(o.before[name]!)} -> ${hex(after[name]!)}${note}`);
  }
  out.push(`  rip    ${hex(after.rip!)}`);
  for (const d of o.dumps) {
    out.push(`memory at ${hex(d.addr)} (${d.bytes?.length ?? 0} bytes)${d.bytes ? ":" : ": not mapped"}`);
    if (d.bytes) appendAll(out, hexdump(d.addr, d.bytes));
  }
  const c = r.counters;
  out.push(
    `counters: ${c.instructions} instructions (${c.nops} nops), ${c.calls} calls, ${c.returns} returns, ${c.pushes} pushes, ${c.pops} pops, ` +
      `${c.memoryReads} memory reads, ${c.memoryWrites} memory writes, ${c.codeBytes} code bytes`,
  );
  return out.join("\n") + "\n";
}
