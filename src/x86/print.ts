/**
 * Instruction -> the AT&T text `objdump -d` (binutils 2.40) prints for it, and listings of
 * decoded bytes. The mnemonic spellings come from the table (`printSized`, `printBare`); this
 * module knows objdump's layout: which prefixes it names, when a size suffix shows, how
 * operands, displacements and branch targets are written.
 *
 * Text is written as bytes into a TextBuffer, not concatenated as strings: a listing is
 * megabytes of short pieces, and built as strings most of its time went to garbage collection.
 */
import type { Instruction, MemoryOperand, Operand } from "./instruction.js";
import type { Register } from "./registers.js";
import { FORMS, type Form, type OperandType } from "./table.js";
import { decode } from "./decode.js";

/** Names an address for branch targets and rip-relative comments (`<f+0x20>`). */
export type Symbolizer = (address: bigint) => { readonly name: string; readonly offset: bigint } | undefined;

export interface FormatOptions {
  readonly symbolize?: Symbolizer;
}

const SEGMENT_NAME: Record<number, string> = { 0x26: "es", 0x2e: "cs", 0x36: "ss", 0x3e: "ds", 0x64: "fs", 0x65: "gs" };

const TAB = 0x09;
const NEWLINE = 0x0a;
const PERCENT = 0x25;
const OPEN = 0x28;
const CLOSE = 0x29;
const STAR = 0x2a;
const COMMA = 0x2c;
const DIGIT_0 = 0x30;
const SPACE = 0x20;
const asciiBytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const HEX_DIGITS = asciiBytes("0123456789abcdef");
const TWO_TO_32 = 0x1_0000_0000;

/**
 * Text assembled as bytes. Everything the printer writes is ASCII except symbol names, which go
 * in as UTF-8. With a sink the text leaves in chunks of about `capacity` bytes (a listing
 * streams to stdout); without one the buffer grows and `toString` gives all of it.
 */
class TextBuffer {
  private bytes: Buffer;
  private length = 0;
  /** Nothing but ASCII written so far: the text converts to a string as latin1, several times faster than UTF-8. */
  private onlyAscii = true;

  constructor(
    private readonly capacity: number,
    private readonly sink?: (chunk: Uint8Array) => void,
  ) {
    this.bytes = Buffer.allocUnsafe(capacity);
  }

  /** Makes room for `n` more bytes. */
  private room(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    if (this.sink) {
      this.flush();
      if (n <= this.bytes.length) return;
    }
    const bigger = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, this.length + n));
    this.bytes.copy(bigger, 0, 0, this.length);
    this.bytes = bigger;
  }

  /** Hands the text so far to the sink. The chunk is the sink's to keep (an asynchronous stdout does). */
  flush(): void {
    if (this.length === 0 || !this.sink) return;
    this.sink(this.bytes.subarray(0, this.length));
    this.bytes = Buffer.allocUnsafe(this.capacity);
    this.length = 0;
  }

  toString(): string {
    return this.bytes.toString(this.onlyAscii ? "latin1" : "utf8", 0, this.length);
  }

  byte(c: number): void {
    this.room(1);
    this.bytes[this.length++] = c;
  }

  spaces(n: number): void {
    this.room(n);
    for (let i = 0; i < n; i++) this.bytes[this.length++] = SPACE;
  }

  /** A string known to be ASCII: mnemonics, register names, punctuation. */
  ascii(s: string): void {
    this.room(s.length);
    const bytes = this.bytes;
    let at = this.length;
    for (let i = 0; i < s.length; i++) bytes[at++] = s.charCodeAt(i);
    this.length = at;
  }

  /** ASCII text already encoded. */
  copy(source: Uint8Array): void {
    this.room(source.length);
    const bytes = this.bytes;
    let at = this.length;
    for (let i = 0; i < source.length; i++) bytes[at++] = source[i]!;
    this.length = at;
  }

  /** Any string (symbol names), as UTF-8. */
  text(s: string): void {
    this.room(3 * s.length);
    const written = this.bytes.write(s, this.length, "utf8");
    if (written !== s.length) this.onlyAscii = false;
    this.length += written;
  }

  /** An integer in 0..2^53 in lowercase hex, without 0x. */
  hex(n: number): void {
    if (n < TWO_TO_32) this.hex32(n, 1);
    else this.hex64(Math.floor(n / TWO_TO_32), n >>> 0);
  }

  /** The 64-bit value with the unsigned 32-bit halves `high`:`low` in hex, without 0x. */
  hex64(high: number, low: number): void {
    if (high === 0) return this.hex32(low, 1);
    this.hex32(high, 1);
    this.hex32(low, 8);
  }

  /** An unsigned 32-bit `n` in hex, zero-padded to `minDigits`. */
  private hex32(n: number, minDigits: number): void {
    const digits = Math.max(minDigits, (35 - Math.clz32(n)) >> 2);
    this.room(digits);
    const bytes = this.bytes;
    for (let at = this.length + digits - 1; at >= this.length; at--, n >>>= 4) bytes[at] = HEX_DIGITS[n & 15]!;
    this.length += digits;
  }

  /** source[start, end) as lowercase hex pairs separated by spaces. */
  hexPairs(source: Uint8Array, start: number, end: number): void {
    this.room(3 * (end - start));
    const bytes = this.bytes;
    let at = this.length;
    for (let i = start; i < end; i++) {
      if (i > start) bytes[at++] = SPACE;
      const b = source[i]!;
      bytes[at++] = HEX_DIGITS[b >> 4]!;
      bytes[at++] = HEX_DIGITS[b & 15]!;
    }
    this.length = at;
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = -MAX_SAFE;

/** `v.toString(16)`, without making a string when v fits a number. */
function writeHex(out: TextBuffer, v: bigint): void {
  if (v >= 0n && v <= MAX_SAFE) out.hex(Number(v));
  else out.ascii(v.toString(16));
}

/** A displacement as objdump shows it off a register: `-0x8`, `0x10`. */
function writeSignedHex(out: TextBuffer, v: bigint): void {
  if (v < MIN_SAFE || v > MAX_SAFE) return out.ascii(v < 0n ? "-0x" + (-v).toString(16) : "0x" + v.toString(16));
  const n = Number(v);
  out.ascii(n < 0 ? "-0x" : "0x");
  out.hex(Math.abs(n));
}

/** The low `width` bits of `v` as unsigned hex with 0x (immediates, absolute addresses). */
function writeUnsignedHex(out: TextBuffer, v: bigint, width: number): void {
  out.ascii("0x");
  if (v >= MIN_SAFE && v <= MAX_SAFE) {
    // Two's complement in number arithmetic, exact in this range (>>> 0 is n mod 2^32).
    const n = Number(v);
    if (width === 64) return n >= 0 ? out.hex(n) : out.hex64(Math.floor(n / TWO_TO_32) >>> 0, n >>> 0);
    if (width === 32) return out.hex(n >>> 0);
    if (width < 32) return out.hex(n & ((1 << width) - 1));
  }
  out.ascii(BigInt.asUintN(width, v).toString(16));
}

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
  /** Prints operands (`int3`, `ret` and the like do not); then the mnemonic is padded. */
  readonly operandText: boolean;
  /**
   * Per operand, PRINTED, SIZING_REGISTER and MOFFS. Typed arrays here and below: every form's
   * is of one hidden class, so the printer's loops over them stay monomorphic.
   */
  readonly operandFlags: Uint8Array;
  /** An implied register is shown, which shows the size. */
  readonly shownRegister: boolean;
  /**
   * The legacy prefix byte that, alone, the form uses without naming it: the operand-size 66
   * of a 16-bit form or the one mandatory prefix; -1 when there is none. (16-bit forms make
   * this the commonest prefixed case, which then skips prefixWords.)
   */
  readonly silentPrefix: number;
  /**
   * The mnemonics with a suffix and without, padded and followed by a space, for lines with
   * operands and no prefix words; as bytes, which copy faster than a string's characters.
   */
  readonly paddedSized: Uint8Array;
  readonly paddedBare: Uint8Array;
  /** Per operand, the width an immediate shows at: the operand size when sign-extended. */
  readonly immediateWidths: Uint8Array;
}

/** An operand objdump shows (the literal $1 of the shift-by-one forms it does not). */
const PRINTED = 1;
/** A register in this operand shows the operand size. Of the fixed registers only the accumulator does; %cl is a shift count. */
const SIZING_REGISTER = 2;
/** A 64-bit absolute address (movabs), which has no SIB byte. */
const MOFFS = 4;

function operandFlagsOf(o: OperandType): number {
  let flags = o.t === "one" ? 0 : PRINTED;
  if (o.t === "fixed" ? o.reg.num === 0 : o.t !== "creg" && o.t !== "dreg") flags |= SIZING_REGISTER;
  if (o.t === "moffs") flags |= MOFFS;
  return flags;
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
    operandText: f.shown.length > 0 || f.operands.some((o) => o.t !== "one"),
    operandFlags: Uint8Array.from(f.operands, operandFlagsOf),
    shownRegister: f.shown.some((s) => s.t === "fixed"),
    silentPrefix: f.opsizePrefix ? (f.mandatoryPrefixes.length === 0 ? 0x66 : -1) : f.mandatoryPrefixes.length === 1 ? f.mandatoryPrefixes[0]! : -1,
    paddedSized: asciiBytes(f.printSized.padEnd(6) + " "),
    paddedBare: asciiBytes(f.printBare.padEnd(6) + " "),
    immediateWidths: Uint8Array.from(f.operands, (o) => {
      if (o.t !== "imm") return 64;
      const signExtended = o.signExtended || (o.bits === 32 && f.opsize === 64);
      return signExtended && f.opsize > 0 ? f.opsize : o.bits;
    }),
  };
}
/** Traits by form id, computed on first use: a short listing meets few forms, and every CLI start would pay for all. */
const TRAITS: (FormTraits | undefined)[] = new Array(FORMS.length);
const traitsFor = (form: Form): FormTraits => (TRAITS[form.id] ??= traitsOf(form));

/**
 * Hardware lock elision: f2/f3 are xacquire/xrelease on a locked read-modify-write of memory,
 * on xchg with memory (always locked), and (xrelease only) on a mov to memory.
 */
function elides(ins: Instruction, rep: number, memory: MemoryOperand | undefined): boolean {
  const form = ins.form;
  if (!memory || !form.lockable) return rep === 0xf3 && memory !== undefined && form.mnemonic === "mov" && ins.operands.at(-1) === memory;
  return form.mnemonic === "xchg" || Boolean(ins.prefixes.lock);
}

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
  const traits = traitsFor(form);
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
  return { words: words + rexWord(ins), hint, notrack };
}

/**
 * objdump's rule: a REX byte is printed unless every bit it sets was used (W by a form that
 * needs REX.W, R by a ModRM.reg register, X by a SIB index field, B by a ModRM.rm or opcode
 * register), and a bare 40 is used only by spl/bpl/sil/dil.
 */
function rexHasUnusedBits(ins: Instruction, rex: number): boolean {
  const traits = traitsFor(ins.form);
  const flags = traits.operandFlags;
  let used = traits.rexUsed;
  let byteRegister = false;
  for (let i = 0; i < flags.length; i++) {
    const op = ins.operands[i];
    if (op?.kind === "mem" && !(flags[i]! & MOFFS) && hasSib(op)) used |= 2;
    if (op?.kind === "reg" && op.reg.cls === "gpr8" && op.reg.needsRex) byteRegister = true;
  }
  const usedBits = rex & 0xf & used;
  return (rex & 0xf) !== usedBits || (usedBits === 0 && !byteRegister);
}

/** The REX byte's prefix word (`rex.W `) when objdump names it, else "". */
function rexWord(ins: Instruction): string {
  const rex = ins.prefixes.rex;
  return rex !== undefined && rexHasUnusedBits(ins, rex) ? REX_WORDS[rex & 0xf]! : "";
}
const REX_WORDS = Array.from({ length: 16 }, (_, bits) => {
  const letters = (bits & 8 ? "W" : "") + (bits & 4 ? "R" : "") + (bits & 2 ? "X" : "") + (bits & 1 ? "B" : "");
  return (letters ? "rex." + letters : "rex") + " ";
});

function writeRegister(out: TextBuffer, r: Register): void {
  out.byte(PERCENT);
  out.ascii(r.name);
}

function writeMemory(out: TextBuffer, m: MemoryOperand, addr32: boolean, showSegment: boolean): void {
  if (m.seg && showSegment) {
    writeRegister(out, m.seg);
    out.ascii(":");
  }
  const base = m.base;
  if (base?.cls === "rip") {
    writeSignedHex(out, m.disp);
    out.byte(OPEN);
    writeRegister(out, base);
    out.byte(CLOSE);
    return;
  }
  const index = m.index;
  // Without registers the address is absolute; objdump adds `(,%riz,S)` only when a scale or
  // (for addr32) the eiz index needs showing.
  if (!base && !index && m.scale === 1 && !addr32) return writeUnsignedHex(out, m.disp, 64);
  // A 32-bit absolute address shows unsigned; displacements from a register show signed.
  if (!base) {
    if (addr32 && !index) writeUnsignedHex(out, m.disp, 32);
    else writeSignedHex(out, m.disp);
  } else if (dispBitsOf(m) !== 0) writeSignedHex(out, m.disp);
  out.byte(OPEN);
  if (base) writeRegister(out, base);
  if (index) {
    out.byte(COMMA);
    writeRegister(out, index);
    out.byte(COMMA);
    out.byte(DIGIT_0 + m.scale);
  } else if (hasSib(m) && (m.scale !== 1 || !base || (base.num & 7) !== 4)) {
    out.ascii(addr32 ? ",%eiz," : ",%riz,");
    out.byte(DIGIT_0 + m.scale);
  }
  out.byte(CLOSE);
}

/** The displacement width encoded: the kept one, else the shortest the encoder picks. */
function dispBitsOf(m: MemoryOperand): 0 | 8 | 32 {
  if (m.dispBits) return m.dispBits;
  if (m.symbol || !m.base) return 32;
  if (m.disp === 0n && (m.base.num & 7) !== 5) return 0;
  return m.disp >= -128n && m.disp <= 127n ? 8 : 32;
}

/** A branch target or rip-relative address: `0x1020`, or `1020 <f+0x20>` with a symbol. */
function writeAddress(out: TextBuffer, target: bigint, options: FormatOptions | undefined): void {
  const sym = options?.symbolize?.(target);
  if (!sym) {
    out.ascii("0x");
    return writeHex(out, target);
  }
  writeHex(out, target);
  out.ascii(" <");
  out.text(sym.name);
  if (sym.offset) {
    out.ascii("+0x");
    writeHex(out, sym.offset);
  }
  out.ascii(">");
}

/** Whether a register operand shows the operand size (then objdump omits the suffix). */
function registerShowsSize(traits: FormTraits, operands: readonly Operand[]): boolean {
  const flags = traits.operandFlags;
  for (let i = 0; i < flags.length; i++) if (flags[i]! & SIZING_REGISTER && operands[i]?.kind === "reg") return true;
  return traits.shownRegister;
}

/**
 * The AT&T text objdump -d prints for `ins` at `address` (`length` bytes long; rip-relative
 * operands get objdump's `# 0x...` comment with the absolute address).
 */
export function formatInstruction(ins: Instruction, address: bigint, length: number, options?: FormatOptions): string {
  const out = new TextBuffer(64);
  writeInstruction(out, ins, address, length, options);
  return out.toString();
}

function writeInstruction(out: TextBuffer, ins: Instruction, address: bigint, length: number, options: FormatOptions | undefined): void {
  const form = ins.form;
  const traits = traitsFor(form);
  const addr32 = addr32Of(ins);
  let memory: MemoryOperand | undefined;
  for (const op of ins.operands) if (op.kind === "mem") memory = op;
  const p = ins.prefixes;
  let words = "";
  let hint = "";
  let notrack = false;
  // Most instructions have no legacy prefix objdump could name, and many have only a REX byte.
  const named = p.legacy ? p.legacy.length > 1 || p.legacy[0] !== traits.silentPrefix : p.lock || p.rep || p.seg || p.data16;
  if (named) ({ words, hint, notrack } = prefixWords(ins, memory));
  else words = rexWord(ins);
  const bare = registerShowsSize(traits, ins.operands);
  // objdump pads the prefixes and mnemonic to 6 columns, then a space, when operands follow.
  if (!words && !hint && traits.operandText) out.copy(bare ? traits.paddedBare : traits.paddedSized);
  else {
    const mnemonic = bare ? form.printBare : form.printSized;
    out.ascii(words);
    out.ascii(mnemonic);
    out.ascii(hint);
    if (!traits.operandText) return;
    out.spaces(Math.max(0, 6 - words.length - mnemonic.length - hint.length) + 1);
  }
  let ripTarget: bigint | undefined;
  let first = true;
  const flags = traits.operandFlags;
  for (let i = 0; i < flags.length; i++) {
    if (!(flags[i]! & PRINTED)) continue;
    if (!first) out.byte(COMMA);
    first = false;
    if (form.indirect) out.byte(STAR);
    const op = ins.operands[i]!;
    switch (op.kind) {
      case "reg":
        writeRegister(out, op.reg);
        break;
      case "imm":
        out.ascii("$");
        writeUnsignedHex(out, op.value, traits.immediateWidths[i]!);
        break;
      case "mem":
        writeMemory(out, op, addr32, !notrack);
        if (op.base?.cls === "rip") ripTarget = BigInt.asUintN(64, address + BigInt(length) + op.disp);
        break;
      case "rel":
        writeAddress(out, op.target, options);
        break;
    }
  }
  if (traits.string) {
    for (const s of form.shown) {
      if (!first) out.byte(COMMA);
      first = false;
      if (s.t === "fixed") writeRegister(out, s.reg);
      else if (s.t === "strsrc") {
        const seg = p.seg && (p.seg.name === "fs" || p.seg.name === "gs") ? p.seg.name : "ds";
        out.ascii(`%${seg}:(${addr32 ? "%esi" : "%rsi"})`);
      } else out.ascii(`%es:(${addr32 ? "%edi" : "%rdi"})`);
    }
  }
  if (ripTarget !== undefined) {
    out.ascii("        # ");
    writeAddress(out, ripTarget, options);
  }
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
  const out = new TextBuffer(64 + text.length);
  writeLineStart(out, address, bytes, 0, bytes.length);
  out.text(text);
  return out.toString();
}

/** `ADDR:<TAB>BYTES<TAB>`, what precedes an instruction's text. */
function writeLineStart(out: TextBuffer, address: bigint, bytes: Uint8Array, start: number, end: number): void {
  writeHex(out, address);
  out.ascii(":\t");
  out.hexPairs(bytes, start, end);
  out.byte(TAB);
}

/**
 * Disassembles regions into listing lines (each ending in a newline). Undecodable bytes are
 * listed one at a time as `(bad)`. Labels inside an instruction are not printed.
 */
export function formatListing(regions: readonly ListingRegion[], options?: FormatOptions): string {
  // About 9 bytes of text per byte of code; the buffer doubles if that is short.
  const out = new TextBuffer(regions.reduce((n, r) => n + 10 * r.bytes.length, 256));
  writeRegions(out, regions, options);
  return out.toString();
}

/**
 * The listing of `regions` as formatListing makes it, handed to `write` in chunks of about a
 * megabyte that are `write`'s to keep (for stdout: fewer, bigger writes, and no string).
 */
export function writeListing(regions: readonly ListingRegion[], write: (chunk: Uint8Array) => void, options?: FormatOptions): void {
  const out = new TextBuffer(LISTING_CHUNK, write);
  writeRegions(out, regions, options);
  out.flush();
}
const LISTING_CHUNK = 1 << 20;

function writeRegions(out: TextBuffer, regions: readonly ListingRegion[], options: FormatOptions | undefined): void {
  for (const region of regions) {
    const labels = new Map<bigint, string[]>();
    for (const l of region.labels ?? []) labels.set(l.address, [...(labels.get(l.address) ?? []), l.name]);
    const bytes = region.bytes;
    let offset = 0;
    while (offset < bytes.length) {
      const address = region.base + BigInt(offset);
      const names = labels.size ? labels.get(address) : undefined;
      if (names) {
        for (const name of names) {
          writeHex(out, address);
          out.ascii(" <");
          out.text(name);
          out.ascii(">:\n");
        }
      }
      const r = decode(bytes, offset, address);
      writeLineStart(out, address, bytes, offset, offset + r.length);
      if (r.ok) writeInstruction(out, r.instruction, address, r.length, options);
      else out.ascii("(bad)");
      out.byte(NEWLINE);
      offset += r.length;
    }
  }
}
