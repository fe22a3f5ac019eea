/**
 * Random and exhaustive AT&T instruction text derived from the instruction table (FORMS), for
 * differential tests against GNU as, decoder round trips and emulator tests. Nothing here knows
 * an encoding: it only writes text that the row's operand types describe, with registers of
 * every width (including spl/bpl/sil/dil, r8b-r15b and the legacy high bytes), every
 * addressing shape (rbp/r13 and rsp/r12 bases, index without base, absolute, rip-relative,
 * 32-bit addressing, segment overrides) and immediates and displacements at their boundaries.
 */
import fc from "fast-check";
import { FORMS, type Form, type OperandType } from "../../src/x86/table.js";
import { REGISTERS, type Register } from "../../src/x86/registers.js";

const gprs = (bits: number) => REGISTERS.filter((r) => (r.cls === "gpr8" || r.cls === "gpr16" || r.cls === "gpr32" || r.cls === "gpr64") && r.bits === bits);
const HIGH_BYTES = REGISTERS.filter((r) => r.cls === "gpr8h");
const BY_WIDTH: Record<number, readonly Register[]> = { 8: [...gprs(8), ...HIGH_BYTES], 16: gprs(16), 32: gprs(32), 64: gprs(64) };
const CONTROL = ["cr0", "cr2", "cr3", "cr4", "cr8"];
const DEBUG = ["db0", "db1", "db2", "db3", "db6", "db7"];
const SEGMENTS = ["cs", "ds", "es", "fs", "gs", "ss"];

/** Displacements at every boundary of the disp8/disp32 choice. */
export const DISPLACEMENTS = ["0", "1", "-1", "0x7f", "-0x80", "0x80", "-0x81", "0x7fffffff", "-0x80000000", "0x1234"];

/** Immediate boundaries: the signed and unsigned ends of 8, 16 and 32 bits. */
export const IMMEDIATES = [
  "0",
  "1",
  "-1",
  "0x7f",
  "-0x80",
  "0x80",
  "0xff",
  "-0x81",
  "0x100",
  "0x7fff",
  "-0x8000",
  "0xffff",
  "0x8000",
  "0x7fffffff",
  "-0x80000000",
  "0x80000000",
  "0xffffffff",
  "0x100000000",
  "-0x80000001",
  "0x7fffffffffffffff",
  "0xffffffffffffffff",
];

function immRange(bits: number, signExtended: boolean, opsize: number): (v: bigint) => boolean {
  // What as accepts for the field, so that generated text is valid (out-of-range values are the
  // error tests' business). For a field as wide as the operation gas takes signed or unsigned.
  const n = BigInt(bits);
  if (signExtended || (bits === 32 && opsize === 64)) return (v) => v >= -(1n << (n - 1n)) && v < 1n << (n - 1n);
  if (bits === opsize) return (v) => v > -(1n << n) && v < 1n << n;
  return (v) => v >= -(1n << (n - 1n)) && v < 1n << n;
}

/** Immediates valid for an operand type of a form. */
export function immediateSamples(type: Extract<OperandType, { t: "imm" }>, form: Form): string[] {
  const fits = immRange(type.bits, type.signExtended, form.opsize);
  return IMMEDIATES.filter((text) => fits(BigInt(text.startsWith("-") ? -BigInt(text.slice(1)) : BigInt(text))));
}

/** Memory operand texts covering every addressing shape. */
export function memorySamples(symbol = "sym"): string[] {
  return [
    "(%rax)",
    "(%rbp)",
    "(%r13)",
    "(%rsp)",
    "(%r12)",
    "(%r8)",
    "0x7f(%rbx)",
    "-0x80(%rcx)",
    "0x80(%rdx)",
    "-0x81(%rsi)",
    "0x7fffffff(%rdi)",
    "-0x80000000(%r15)",
    "(%rax,%rbx,1)",
    "(%rbp,%rcx,2)",
    "8(%rsp,%rdx,4)",
    "-8(%r12,%r9,8)",
    "(%r13,%r14,1)",
    "0x12345(,%rax,8)",
    "(,%r10,2)",
    "0x1234",
    "-0x10",
    `${symbol}`,
    `${symbol}+8(%rax)`,
    `${symbol}(,%rdi,8)`,
    `${symbol}(%rip)`,
    `${symbol}-4(%rip)`,
    "0x10(%rip)",
    "%gs:0x28",
    "%fs:(%rax)",
    `%gs:${symbol}+1`,
    "%es:(%rdi)",
    "%ss:8(%rbp)",
    "%cs:(%rsp)",
    "(%eax)",
    "0x10(%ebp,%esi,4)",
    "(%r8d)",
  ];
}

function registerSamples(bits: number): string[] {
  return BY_WIDTH[bits]!.map((r) => `%${r.name}`);
}

/** Every sample text for one operand position of a form. */
export function operandSamples(form: Form, type: OperandType): string[] {
  const star = form.indirect ? "*" : "";
  switch (type.t) {
    case "reg":
    case "opreg":
    case "rmreg":
      return registerSamples(type.bits);
    case "rm":
      return [...registerSamples(type.bits), ...memorySamples()].map((t) => star + t);
    case "mem":
      return memorySamples().map((t) => star + t);
    case "fixed":
      return [`%${type.reg.name}`];
    case "imm":
      return immediateSamples(type, form).map((v) => `$${v}`);
    case "one":
      return [`$${type.value}`];
    case "rel":
      // `.` targets are in range (rel8 after relaxation); undefined symbols need rel32.
      return ["target", "target+16", ".", ".+0x40"];
    case "moffs":
      return ["0x1234", "0x123456789", "sym"];
    case "creg":
      return CONTROL.map((r) => `%${r}`);
    case "dreg":
      return DEBUG.map((r) => `%${r}`);
  }
}

const isMemory = (text: string) => !text.replace(/^\*/, "").startsWith("%") || text.includes(":") || text.includes("(");
const isRegister = (text: string) => /^\*?%[a-z0-9]+$/.test(text);

/** The mnemonic to write for a form with these operand texts (sized when nothing else sizes it). */
export function spellingFor(form: Form, operands: readonly string[], pick = 0): string {
  // A shift count in %cl does not size an instruction for gas; every other general register does.
  const sizedByRegister = operands.some((o, i) => {
    const t = form.operands[i]!;
    return isRegister(o) && t.t !== "creg" && t.t !== "dreg" && !(t.t === "fixed" && t.reg.name === "cl");
  });
  const hasMemory = operands.some((o, i) => isMemory(o) && (form.operands[i]!.t === "rm" || form.operands[i]!.t === "mem"));
  const candidates = form.spellings.filter((s) => !(hasMemory && (s === "movzx" || s === "movsx")));
  if (!sizedByRegister && candidates.includes(form.printSized)) return form.printSized;
  return candidates[pick % candidates.length]!;
}

/** Whether a combination of operand texts is encodable at all (not a question of the table). */
export function plausible(form: Form, operands: readonly string[]): boolean {
  const high = operands.some((o) => /%[abcd]h\b/.test(o));
  const rex = form.rexW || operands.some((o) => /%(r\d+[bwd]?|spl|bpl|sil|dil)\b/.test(o));
  return !(high && rex);
}

/** Prefix words that make sense on a form with these operands. */
function prefixSamples(form: Form, operands: readonly string[]): string[] {
  const out: string[] = [];
  const dest = operands[operands.length - 1];
  if (form.lockable && dest !== undefined && isMemory(dest) && !dest.startsWith("*")) out.push("lock ");
  if (form.repable) out.push("rep ");
  return out;
}

/** Lines covering every operand shape of one form: each position runs through its samples. */
export function corpusForForm(form: Form): string[] {
  const samples = form.operands.map((t) => operandSamples(form, t));
  const lines: string[] = [];
  const emit = (ops: string[], pick: number) => {
    if (!plausible(form, ops)) return;
    lines.push(`${spellingFor(form, ops, pick)} ${ops.join(", ")}`.trim());
  };
  if (samples.length === 0) {
    for (const s of form.spellings) lines.push(s);
    for (const p of prefixSamples(form, [])) lines.push(p + form.spellings[0]!);
    return lines;
  }
  samples.forEach((list, i) => {
    list.forEach((text, k) => {
      const ops = samples.map((l, j) => (j === i ? text : l[(k + j) % l.length]!));
      emit(ops, k);
    });
  });
  const first = samples.map((l) => l[l.length - 1]!);
  for (const p of prefixSamples(form, first)) if (plausible(form, first)) lines.push(p + `${spellingFor(form, first)} ${first.join(", ")}`);
  return lines;
}

/** The whole corpus: every row of the table (aliases included) in every operand shape. */
export function corpus(): string[] {
  return FORMS.flatMap((f) => corpusForForm(f));
}

/** fast-check arbitrary of one random valid instruction line built from a random form. */
export function instructionArbitrary(forms: readonly Form[] = FORMS): fc.Arbitrary<string> {
  return fc
    .constantFrom(...forms)
    .chain((form) => {
      const operandArbs = form.operands.map((t) => operandArbitrary(form, t));
      return fc.tuple(fc.constant(form), fc.tuple(...operandArbs), fc.nat(7), fc.boolean());
    })
    .filter(([form, ops]) => plausible(form, ops))
    .map(([form, ops, pick, prefix]) => {
      const prefixes = prefix ? prefixSamples(form, ops) : [];
      return `${prefixes[0] ?? ""}${spellingFor(form, ops, pick)} ${ops.join(", ")}`.trim();
    });
}

const hex = (v: bigint) => (v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`);

/** Displacement text at a boundary or random, within the signed 32-bit range. */
function displacementArbitrary(): fc.Arbitrary<string> {
  return fc.oneof(fc.constantFrom(...DISPLACEMENTS), fc.integer({ min: -0x80000000, max: 0x7fffffff }).map((n) => hex(BigInt(n))), fc.constant(""));
}

function memoryArbitrary(): fc.Arbitrary<string> {
  const base64 = fc.constantFrom(...BY_WIDTH[64]!.map((r) => r.name));
  const index64 = fc.constantFrom(...BY_WIDTH[64]!.filter((r) => r.name !== "rsp").map((r) => r.name));
  const base32 = fc.constantFrom(...BY_WIDTH[32]!.map((r) => r.name));
  const index32 = fc.constantFrom(...BY_WIDTH[32]!.filter((r) => r.name !== "esp").map((r) => r.name));
  const scale = fc.constantFrom("1", "2", "4", "8");
  const seg = fc.oneof(fc.constant(""), fc.constantFrom(...SEGMENTS).map((s) => `%${s}:`));
  const shape = fc.oneof(
    fc.tuple(displacementArbitrary(), base64).map(([d, b]) => `${d}(%${b})`),
    fc.tuple(displacementArbitrary(), base64, index64, scale).map(([d, b, i, s]) => `${d}(%${b},%${i},${s})`),
    fc.tuple(displacementArbitrary(), index64, scale).map(([d, i, s]) => `${d || "0"}(,%${i},${s})`),
    fc.tuple(displacementArbitrary(), base32, index32, scale).map(([d, b, i, s]) => `${d}(%${b},%${i},${s})`),
    fc.integer({ min: -0x80000000, max: 0x7fffffff }).map((n) => hex(BigInt(n))),
    fc.tuple(fc.constantFrom("sym", "other"), fc.integer({ min: -0x1000, max: 0x1000 })).map(([s, a]) => `${s}${a ? (a > 0 ? "+" : "") + a : ""}(%rip)`),
    fc.tuple(fc.constantFrom("sym", "other"), base64).map(([s, b]) => `${s}(%${b})`),
    displacementArbitrary().map((d) => `${d || "0"}(%rip)`),
  );
  return fc.tuple(seg, shape).map(([s, m]) => s + m);
}

function operandArbitrary(form: Form, type: OperandType): fc.Arbitrary<string> {
  const star = form.indirect ? "*" : "";
  switch (type.t) {
    case "rm":
      return fc.oneof(fc.constantFrom(...registerSamples(type.bits)), memoryArbitrary()).map((t) => star + t);
    case "mem":
      return memoryArbitrary().map((t) => star + t);
    case "imm": {
      const fits = immRange(type.bits, type.signExtended, form.opsize);
      const n = BigInt(type.bits);
      const random = fc.bigInt({ min: -(1n << (n - 1n)), max: (1n << n) - 1n }).filter(fits);
      return fc.oneof(fc.constantFrom(...immediateSamples(type, form)), random.map(hex)).map((v) => `$${v}`);
    }
    default:
      return fc.constantFrom(...operandSamples(form, type));
  }
}
