/**
 * One emulator run described as data: code (bytes or AT&T text), a base address, registers,
 * memory to map, ranges to dump, a step limit. `pvopc emu` builds one from its options and
 * `pvopc emu --jsonl` from each input line; both get back an `EmuOutcome`, and the JSONL mode
 * prints `outcomeJson` of it. Errors in a request are values (`{ error }`), never throws.
 */
import { assemble } from "../asm/assembler.js";
import { SourceFile } from "../diag/diagnostic.js";
import { findSection } from "../image/image.js";
import type { Fault } from "./fault.js";
import { DEFAULT_BASE, DEFAULT_MAX_STEPS, DEFAULT_STACK_TOP } from "./defaults.js";
import { Machine, type Counters, type RunResult, type StopReason, type TraceStep } from "./machine.js";
import { PERM_RW, PERM_RWX } from "./memory.js";

export interface EmuRequest {
  readonly code: Uint8Array;
  readonly base: bigint;
  /** Register name (as Machine.setRegister accepts) to value, applied after the stack is set up. */
  readonly regs: ReadonlyMap<string, bigint>;
  /** Byte ranges to map read-write and fill. */
  readonly memory: readonly { readonly addr: bigint; readonly bytes: Uint8Array }[];
  readonly dump: readonly { readonly addr: bigint; readonly len: number }[];
  readonly maxSteps: number;
  readonly trace: boolean;
}

export interface EmuOutcome {
  readonly machine: Machine;
  readonly result: RunResult;
  /** Registers (16 general, rip, rflags) before the run. */
  readonly before: Record<string, bigint>;
  /** Dumped bytes, undefined where some byte is not mapped. */
  readonly dumps: readonly { readonly addr: bigint; readonly bytes: Uint8Array | undefined }[];
  readonly trace: readonly TraceStep[];
}

export function parseHex(text: string): Uint8Array | { error: string } {
  const digits = text.replace(/\s+/g, "");
  if (/[^0-9a-fA-F]/.test(digits)) return { error: `'${text}' is not hex bytes` };
  if (digits.length % 2) return { error: `odd number of hex digits in '${text}'` };
  return Uint8Array.from({ length: digits.length / 2 }, (_, i) => parseInt(digits.slice(2 * i, 2 * i + 2), 16));
}

/** Parses a 64-bit value: "0x..." hex or decimal text, or a JSON integer. */
export function parseValue(v: unknown, what: string): bigint | { error: string } {
  if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt.asUintN(64, BigInt(v));
  if (typeof v === "string" && /^-?(0x[0-9a-f]+|\d+)$/i.test(v.trim())) {
    const t = v.trim();
    const n = t.startsWith("-") ? -BigInt(t.slice(1)) : BigInt(t);
    if (n >= 1n << 64n || n < -(1n << 63n)) return { error: `${what}: ${v} does not fit in 64 bits` };
    return BigInt.asUintN(64, n);
  }
  return { error: `${what}: expected a number ("0x..." or decimal), got ${JSON.stringify(v)}` };
}

/** Assembles AT&T text at `base`; the text section's bytes, or the first error. */
export function assembleCode(text: string, base: bigint): Uint8Array | { error: string } {
  const result = assemble(new SourceFile("<asm>", text.replace(/;/g, "\n")));
  const error = result.diagnostics.find((d) => d.severity === "error");
  if (error) {
    const p = error.file.position(error.span.start);
    return { error: `asm:${p.line}:${p.column}: ${error.message}` };
  }
  const text_ = findSection(result.image, ".text");
  if (!text_) return new Uint8Array(0);
  const reloc = text_.relocations[0];
  if (reloc) return { error: `asm: unresolved reference to '${reloc.symbol}' (code is loaded at 0x${base.toString(16)} without linking)` };
  return text_.data;
}

const isError = (x: unknown): x is { error: string } => typeof x === "object" && x !== null && "error" in x && !(x instanceof Uint8Array);

/** Builds a request from a JSON object (one `--jsonl` line). */
export function requestFromJson(json: unknown): EmuRequest | { error: string } {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return { error: "a request is a JSON object" };
  const o = json as Record<string, unknown>;
  const known = new Set(["hex", "asm", "base", "regs", "memory", "dump", "maxSteps", "trace"]);
  const unknown = Object.keys(o).find((k) => !known.has(k));
  if (unknown) return { error: `unknown field '${unknown}'` };
  const base = o.base === undefined ? DEFAULT_BASE : parseValue(o.base, "base");
  if (isError(base)) return base;
  if ((o.hex === undefined) === (o.asm === undefined)) return { error: "give either 'hex' or 'asm'" };
  const code = typeof o.hex === "string" ? parseHex(o.hex) : typeof o.asm === "string" ? assembleCode(o.asm, base) : { error: "'hex' and 'asm' are strings" };
  if (isError(code)) return code;
  const regs = new Map<string, bigint>();
  if (o.regs !== undefined) {
    if (typeof o.regs !== "object" || o.regs === null) return { error: "'regs' is an object of register names to values" };
    for (const [name, value] of Object.entries(o.regs)) {
      const v = parseValue(value, `regs.${name}`);
      if (isError(v)) return v;
      if (!Machine.isRegisterName(name)) return { error: `regs: unknown register '${name}'` };
      regs.set(name, v);
    }
  }
  const memory: { addr: bigint; bytes: Uint8Array }[] = [];
  for (const [i, m] of listOf(o.memory).entries()) {
    const addr = parseValue(m?.addr, `memory[${i}].addr`);
    if (isError(addr)) return addr;
    const bytes = typeof m?.hex === "string" ? parseHex(m.hex) : { error: `memory[${i}].hex: expected hex bytes` };
    if (isError(bytes)) return bytes;
    memory.push({ addr, bytes });
  }
  const dump: { addr: bigint; len: number }[] = [];
  for (const [i, d] of listOf(o.dump).entries()) {
    const addr = parseValue(d?.addr, `dump[${i}].addr`);
    if (isError(addr)) return addr;
    if (typeof d?.len !== "number" || !Number.isInteger(d.len) || d.len < 0 || d.len > 1 << 20) return { error: `dump[${i}].len: expected a length up to 1 MiB` };
    dump.push({ addr, len: d.len });
  }
  if (!Array.isArray(o.memory) && o.memory !== undefined) return { error: "'memory' is a list" };
  if (!Array.isArray(o.dump) && o.dump !== undefined) return { error: "'dump' is a list" };
  const maxSteps = o.maxSteps === undefined ? DEFAULT_MAX_STEPS : o.maxSteps;
  if (typeof maxSteps !== "number" || !Number.isInteger(maxSteps) || maxSteps < 0) return { error: "'maxSteps' is a non-negative integer" };
  return { code, base, regs, memory, dump, maxSteps, trace: o.trace === true };
}

function listOf(v: unknown): (Record<string, unknown> | undefined)[] {
  return Array.isArray(v) ? v.map((x) => (typeof x === "object" && x !== null ? (x as Record<string, unknown>) : undefined)) : [];
}

/**
 * Runs a request: code mapped rwx at base (so self-modifying snippets work), a 64 KiB stack
 * with the return sentinel, memory ranges mapped rw, then the registers. Stops at the end of
 * the code too.
 */
export function runRequest(req: EmuRequest): EmuOutcome {
  const m = new Machine();
  m.load(req.base, req.code, PERM_RWX);
  m.stopAt(req.base + BigInt(req.code.length), "end");
  m.callFrame(DEFAULT_STACK_TOP);
  m.cpu.rip = req.base;
  for (const { addr, bytes } of req.memory) {
    m.memory.map(addr, Math.max(bytes.length, 1), PERM_RW);
    m.memory.poke(addr, bytes);
  }
  for (const [name, value] of req.regs) m.setRegister(name, value);
  const before = m.registers();
  const trace: TraceStep[] = [];
  const result = m.run({ maxSteps: req.maxSteps, trace: req.trace ? (s) => trace.push(s) : undefined });
  const dumps = req.dump.map(({ addr, len }) => ({ addr, bytes: m.memory.peek(addr, len) }));
  return { machine: m, result, before, dumps, trace };
}

const hex = (v: bigint) => "0x" + v.toString(16);
const hexBytes = (b: Uint8Array) => Buffer.from(b).toString("hex");

export interface OutcomeJson {
  stop: StopReason;
  steps: number;
  regs: Record<string, string>;
  dump: { addr: string; hex: string | null }[];
  fault: { vector: string; number: number; rip: string; message: string; address?: string } | null;
  counters: Counters;
  trace?: { rip: string; changes: Record<string, string> }[];
}

export function faultJson(f: Fault): NonNullable<OutcomeJson["fault"]> {
  return { vector: f.vector, number: f.number, rip: hex(f.rip), message: f.message, ...(f.address !== undefined ? { address: hex(f.address) } : {}) };
}

/** The JSONL result of a run: every number a "0x..." string except steps and counters. */
export function outcomeJson(o: EmuOutcome): OutcomeJson {
  const regs: Record<string, string> = {};
  for (const [name, v] of Object.entries(o.machine.registers())) regs[name] = hex(v);
  const json: OutcomeJson = {
    stop: o.result.stop,
    steps: o.result.steps,
    regs,
    dump: o.dumps.map((d) => ({ addr: hex(d.addr), hex: d.bytes ? hexBytes(d.bytes) : null })),
    fault: o.result.fault ? faultJson(o.result.fault) : null,
    counters: o.result.counters,
  };
  if (o.trace.length) json.trace = o.trace.map((s) => ({ rip: hex(s.address), changes: Object.fromEntries(s.changes.map((c) => [c.name, hex(c.after)])) }));
  return json;
}
