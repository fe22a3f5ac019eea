/**
 * Instruction -> the AT&T text `objdump -d` (binutils 2.40) prints for it, and listings of
 * decoded bytes. The mnemonic spellings come from the table (`printSized`, `printBare`); this
 * module knows objdump's layout: which prefixes it names, when a size suffix shows, how
 * operands, displacements and branch targets are written.
 */
import type { Instruction, MemoryOperand, Operand } from "./instruction.js";
import type { Register } from "./registers.js";
import { FORMS, type Form } from "./table.js";
import { decode } from "./decode.js";

/** Names an address for branch targets and rip-relative comments (`<f+0x20>`). */
export type Symbolizer = (address: bigint) => { readonly name: string; readonly offset: bigint } | undefined;

export interface FormatOptions {
  readonly symbolize?: Symbolizer;
}

const SEGMENT_NAME: Record<number, string> = { 0x26: "es", 0x2e: "cs", 0x36: "ss", 0x3e: "ds", 0x64: "fs", 0x65: "gs" };

const hex = (v: bigint) => "0x" + v.toString(16);
const signedHex = (v: bigint) => (v < 0n ? "-0x" + (-v).toString(16) : "0x" + v.toString(16));

/** What printing needs to know about a form, computed once per form. */
interface FormTraits {
  /** A conditional branch: takes the ,pt / ,pn hints objdump reads from 3e / 2e. */
  readonly conditional: boolean;
  /** A near branch objdump gives the MPX `bnd` prefix (f2). */
  readonly bnd: boolean;
  /** A string instruction (rep is `rep`, 67 picks esi/edi). */
  readonly string: boolean;
  /** Reads %ds:(%rsi), which shows the segment itself. */
  readonly readsString: boolean;
  /** Has a ModRM memory operand the 67 prefix applies to. */
  readonly modrmMemory: boolean;
  /** REX bits the form's operands use whatever their values: W, R (ModRM.reg), B (ModRM.rm, +r). */
  readonly rexUsed: number;
}

function traitsOf(f: Form): FormTraits {
  const rel = f.operands[0]?.t === "rel";
  let rexUsed = f.rexW ? 8 : 0;
  for (const o of f.operands) {
    if (o.t === "reg" || o.t === "creg" || o.t === "dreg") rexUsed |= 4;
    else if (o.t === "rm" || o.t === "mem" || o.t === "rmreg" || o.t === "opreg") rexUsed |= 1;
  }
  return {
    conditional: rel && (f.cc >= 0 || f.mnemonic === "jrcxz"),
    bnd: (rel && f.mnemonic !== "jrcxz") || f.indirect || f.sem === "ret",
    string: f.shown.length > 0,
    readsString: f.shown.some((s) => s.t === "strsrc"),
    modrmMemory: f.operands.some((o) => o.t === "rm" || o.t === "mem"),
    rexUsed,
  };
}
const TRAITS: readonly FormTraits[] = FORMS.map(traitsOf);

/**
 * Hardware lock elision: f2/f3 are xacquire/xrelease on a locked read-modify-write of memory,
 * on xchg with memory (always locked), and (xrelease only) on a mov to memory.
 */
function elides(ins: Instruction, rep: number, memory: MemoryOperand | undefined): boolean {
  const form = ins.form;
  if (!memory || !form.lockable) return rep === 0xf3 && memory !== undefined && form.mnemonic === "mov" && ins.operands.at(-1) === memory;
  return form.mnemonic === "xchg" || Boolean(ins.prefixes.lock);
}

const NO_WORDS = { words: "", hint: "", notrack: false };

/** The address-size prefix that applies: the instruction's 67, or none. */
const addr32Of = (ins: Instruction) => ins.prefixes.legacy?.includes(0x67) ?? false;

/**
 * The legacy prefix bytes in encoding order: as decoded, or, for an instruction that was
 * parsed, in the order GNU as emits them.
 */
function legacyBytes(ins: Instruction): readonly number[] {
  if (ins.prefixes.legacy) return ins.prefixes.legacy;
  const p = ins.prefixes;
  const out: number[] = [];
  if (p.seg) out.push(SEGMENT_BYTE[p.seg.name]!);
  for (let i = 0; i < (p.data16 ?? 0); i++) out.push(0x66);
  if (ins.form.opsizePrefix) out.push(0x66);
  out.push(...ins.form.mandatoryPrefixes);
  if (p.rep) out.push(p.rep === "rep" ? 0xf3 : 0xf2);
  if (p.lock) out.push(0xf0);
  return out;
}
const SEGMENT_BYTE: Record<string, number> = Object.fromEntries(Object.entries(SEGMENT_NAME).map(([b, n]) => [n, Number(b)]));

/** True when the SIB byte is encoded for this memory operand. */
function hasSib(m: MemoryOperand): boolean {
  if (m.sib || m.index) return true;
  if (!m.base) return true;
  return m.base.cls !== "rip" && (m.base.num & 7) === 4;
}

/**
 * The prefix words objdump prints before the mnemonic, and a branch hint (`,pt`) it appends to
 * it. Prefixes the instruction uses silently (the operand-size 66 of a 16-bit form, a mandatory
 * f3, a segment shown on an operand) are left out; the REX byte is named (`rex.W`) when it has
 * a bit nothing used.
 */
function prefixWords(ins: Instruction, memory: MemoryOperand | undefined): { words: string; hint: string; notrack: boolean } {
  const form = ins.form;
  const traits = TRAITS[form.id]!;
  const legacy = legacyBytes(ins);
  let words = "";
  let hint = "";
  let notrack = false;
  const last66 = legacy.lastIndexOf(0x66);
  const used66 = form.opsizePrefix || form.mandatoryPrefixes.includes(0x66);
  const last67 = legacy.lastIndexOf(0x67);
  let lastRep = -1;
  let lastSeg = -1;
  for (let i = 0; i < legacy.length; i++) {
    const b = legacy[i]!;
    if (b === 0xf2 || b === 0xf3) lastRep = i;
    else if (SEGMENT_NAME[b]) lastSeg = i;
  }
  const string = traits.string;
  const addressUsed = string || (memory !== undefined && traits.modrmMemory);
  for (let i = 0; i < legacy.length; i++) {
    const b = legacy[i]!;
    let word: string | undefined;
    if (b === 0x66) word = i === last66 && used66 ? undefined : "data16";
    else if (b === 0x67) word = i === last67 && addressUsed ? undefined : "addr32";
    else if (b === 0xf0) word = "lock";
    else if (b === 0xf2 || b === 0xf3) {
      if (i === lastRep && form.mandatoryPrefixes.includes(b)) word = undefined;
      else if (i === legacy.lastIndexOf(b) && elides(ins, b, memory)) word = b === 0xf2 ? "xacquire" : "xrelease";
      else if (b === 0xf3) word = i === legacy.lastIndexOf(b) && string ? "rep" : "repz";
      else word = i === legacy.lastIndexOf(b) && traits.bnd ? "bnd" : "repnz";
    } else {
      // objdump consumes the last segment prefix, whichever it is, for what the segment
      // prefixes mean together: a branch hint (only one of cs, ds), notrack (ds, no 66), the
      // fs/gs shown on an operand.
      word = SEGMENT_NAME[b];
      if (i === lastSeg) {
        const cs = legacy.includes(0x2e);
        const ds = legacy.includes(0x3e);
        if (traits.conditional && cs !== ds) {
          hint = cs ? ",pn" : ",pt";
          word = undefined;
        } else if (form.indirect && ds && last66 < 0) {
          word = "notrack";
          notrack = true;
        } else if (traits.readsString || memory?.seg) word = undefined;
      }
    }
    if (word) words += word + " ";
  }
  const rex = ins.prefixes.rex;
  if (rex !== undefined && rexHasUnusedBits(ins, rex)) {
    const bits = (rex & 8 ? "W" : "") + (rex & 4 ? "R" : "") + (rex & 2 ? "X" : "") + (rex & 1 ? "B" : "");
    words += (bits ? "rex." + bits : "rex") + " ";
  }
  return { words, hint, notrack };
}

/**
 * objdump's rule: a REX byte is printed unless every bit it sets was used (W by a form that
 * needs REX.W, R by a ModRM.reg register, X by a SIB index field, B by a ModRM.rm or opcode
 * register), and a bare 40 is used only by spl/bpl/sil/dil.
 */
function rexHasUnusedBits(ins: Instruction, rex: number): boolean {
  const form = ins.form;
  let used = TRAITS[form.id]!.rexUsed;
  let byteRegister = false;
  for (let i = 0; i < form.operands.length; i++) {
    const op = ins.operands[i];
    if (op?.kind === "mem" && form.operands[i]!.t !== "moffs" && hasSib(op)) used |= 2;
    if (op?.kind === "reg" && op.reg.cls === "gpr8" && op.reg.needsRex) byteRegister = true;
  }
  const usedBits = rex & 0xf & used;
  return (rex & 0xf) !== usedBits || (usedBits === 0 && !byteRegister);
}

function registerText(r: Register): string {
  return "%" + r.name;
}

function memoryText(m: MemoryOperand, addr32: boolean, showSegment: boolean): string {
  let s = m.seg && showSegment ? `%${m.seg.name}:` : "";
  const base = m.base;
  if (base?.cls === "rip") return s + signedHex(m.disp) + "(%" + base.name + ")";
  const index = m.index;
  const sib = hasSib(m);
  // Without registers the address is absolute; objdump adds `(,%riz,S)` only when a scale or
  // (for addr32) the eiz index needs showing.
  if (!base && !index && m.scale === 1 && !addr32) return s + hex(BigInt.asUintN(64, m.disp));
  // A 32-bit absolute address shows unsigned; displacements from a register show signed.
  if (!base) s += addr32 && !index ? hex(BigInt.asUintN(32, m.disp)) : signedHex(m.disp);
  else if (dispBitsOf(m) !== 0) s += signedHex(m.disp);
  s += "(";
  if (base) s += registerText(base);
  if (index) s += "," + registerText(index) + "," + m.scale;
  else if (sib && (m.scale !== 1 || !base || (base.num & 7) !== 4)) s += (addr32 ? ",%eiz," : ",%riz,") + m.scale;
  return s + ")";
}

/** The displacement width encoded: the kept one, else the shortest the encoder picks. */
function dispBitsOf(m: MemoryOperand): 0 | 8 | 32 {
  if (m.dispBits) return m.dispBits;
  if (m.symbol || !m.base) return 32;
  if (m.disp === 0n && (m.base.num & 7) !== 5) return 0;
  return m.disp >= -128n && m.disp <= 127n ? 8 : 32;
}

function addressText(target: bigint, options: FormatOptions | undefined): string {
  const sym = options?.symbolize?.(target);
  if (!sym) return hex(target);
  return `${target.toString(16)} <${sym.name}${sym.offset ? "+" + hex(sym.offset) : ""}>`;
}

function immediateText(value: bigint, bits: number, signExtended: boolean, opsize: number): string {
  const width = signExtended && opsize > 0 ? opsize : bits;
  return "$" + hex(BigInt.asUintN(width, value));
}

/** Whether a register operand shows the operand size (then objdump omits the suffix). */
function registerShowsSize(form: Form, operands: readonly Operand[]): boolean {
  for (let i = 0; i < form.operands.length; i++) {
    const t = form.operands[i]!;
    if (operands[i]?.kind !== "reg") continue;
    // Of the fixed registers only the accumulator carries the size; %cl is a shift count.
    if (t.t === "fixed" ? t.reg.num === 0 : t.t !== "creg" && t.t !== "dreg") return true;
  }
  return form.shown.some((s) => s.t === "fixed");
}

/**
 * The AT&T text objdump -d prints for `ins` at `address` (`length` bytes long; rip-relative
 * operands get objdump's `# 0x...` comment with the absolute address).
 */
export function formatInstruction(ins: Instruction, address: bigint, length: number, options?: FormatOptions): string {
  const form = ins.form;
  const addr32 = addr32Of(ins);
  let memory: MemoryOperand | undefined;
  for (const op of ins.operands) if (op.kind === "mem") memory = op;
  const p = ins.prefixes;
  // Most instructions have no prefix objdump could name.
  const plain = !p.legacy && p.rex === undefined && !p.lock && !p.rep && !p.seg && !p.data16;
  const { words, hint, notrack } = plain ? NO_WORDS : prefixWords(ins, memory);
  let comment = "";
  let operandText = "";
  for (let i = 0; i < form.operands.length; i++) {
    const t = form.operands[i]!;
    const op = ins.operands[i]!;
    let text: string;
    switch (op.kind) {
      case "reg":
        text = registerText(op.reg);
        break;
      case "imm":
        if (t.t === "one") continue;
        text = t.t === "imm" ? immediateText(op.value, t.bits, t.signExtended || (t.bits === 32 && form.opsize === 64), form.opsize) : hex(op.value);
        break;
      case "mem":
        text = memoryText(op, addr32, !notrack);
        if (op.base?.cls === "rip") {
          const target = address + BigInt(length) + op.disp;
          comment = "        # " + addressText(BigInt.asUintN(64, target), options);
        }
        break;
      case "rel":
        text = addressText(op.target, options);
        break;
    }
    operandText += (operandText ? "," : "") + (form.indirect ? "*" + text : text);
  }
  for (const s of form.shown) {
    let text: string;
    if (s.t === "fixed") text = registerText(s.reg);
    else if (s.t === "strsrc") {
      const seg = p.seg && (p.seg.name === "fs" || p.seg.name === "gs") ? p.seg.name : "ds";
      text = `%${seg}:(${addr32 ? "%esi" : "%rsi"})`;
    } else text = `%es:(${addr32 ? "%edi" : "%rdi"})`;
    operandText += (operandText ? "," : "") + text;
  }
  const mnemonic = (registerShowsSize(form, ins.operands) ? form.printBare : form.printSized) + hint;
  const head = words + mnemonic;
  if (!operandText) return head;
  return head.padEnd(6) + " " + operandText + comment;
}

/** A run of bytes to list: where it sits and the symbols that label addresses inside it. */
export interface ListingRegion {
  readonly base: bigint;
  readonly bytes: Uint8Array;
  /** Labels, printed as `ADDR <name>:` lines before the instruction at their address. */
  readonly labels?: readonly { readonly address: bigint; readonly name: string }[];
}

/**
 * One listing line: `ADDR:<TAB>BYTES<TAB>TEXT`, the address in lowercase hex without 0x or
 * padding, the bytes as space-separated lowercase pairs.
 */
export function listingLine(address: bigint, bytes: Uint8Array, text: string): string {
  return lineOf(address, bytes, 0, bytes.length, text);
}

function lineOf(address: bigint, bytes: Uint8Array, start: number, end: number, text: string): string {
  let line = (address <= MAX_SAFE ? Number(address) : address).toString(16) + ":\t" + HEX_PAIRS[bytes[start]!];
  for (let i = start + 1; i < end; i++) line += " " + HEX_PAIRS[bytes[i]!];
  return line + "\t" + text;
}
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const HEX_PAIRS = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/**
 * Disassembles regions into listing lines (each ending in a newline). Undecodable bytes are
 * listed one at a time as `(bad)`. Labels inside an instruction are not printed.
 */
export function formatListing(regions: readonly ListingRegion[], options?: FormatOptions): string {
  let out = "";
  for (const region of regions) {
    const labels = new Map<bigint, string[]>();
    for (const l of region.labels ?? []) labels.set(l.address, [...(labels.get(l.address) ?? []), l.name]);
    const bytes = region.bytes;
    let offset = 0;
    while (offset < bytes.length) {
      const address = region.base + BigInt(offset);
      const names = labels.size ? labels.get(address) : undefined;
      if (names) for (const name of names) out += `${address.toString(16)} <${name}>:\n`;
      const r = decode(bytes, offset, address);
      const text = r.ok ? formatInstruction(r.instruction, address, r.length, options) : "(bad)";
      out += lineOf(address, bytes, offset, offset + r.length, text) + "\n";
      offset += r.length;
    }
  }
  return out;
}
