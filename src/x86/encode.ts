/**
 * Instruction -> bytes, using only the form's fields from the table (opcode, ModRM kind,
 * immediates, REX.W, mandatory prefixes). Every choice that GNU as makes beyond the form is
 * made here the way as makes it:
 *
 * - legacy prefixes in as's slot order: segment, 67 (32-bit address), 66 (operand size or
 *   data16), mandatory f2/f3, rep/repne, lock, then REX (a decoded instruction's recorded
 *   prefix bytes and REX byte are emitted as they are instead);
 * - the shortest displacement: none for 0 unless the base is rbp/r13 (which need a disp8 of 0),
 *   disp8 when the value fits, else disp32; a symbol always takes a disp32; rsp/r12 bases and
 *   every index need a SIB byte; an absolute address takes SIB 25 (no base, no index);
 * - a ds override is dropped when ds is already the default segment (no rbp/rsp base);
 * - REX is emitted whenever a register needs it (r8-r15, spl/bpl/sil/dil), and ah/ch/dh/bh
 *   cannot appear in an instruction that has one.
 *
 * Fields whose value is not known (a symbol) are left zero and described by a Fixup; the
 * assembler turns fixups into relocations or patches them after layout.
 *
 * The encoder works on operands in flat, reusable slots (OperandSlot) rather than on Operand
 * objects: the assembler's matcher fills the slots directly and encodes a large file without
 * allocating anything per instruction. `encodeInstruction` copies an Instruction into slots.
 */
import type { Instruction, Operand, Prefixes, SymbolRef } from "./instruction.js";
import type { Register } from "./registers.js";
import { FORMS, type Form } from "./table.js";

export type FixupKind = "pcrel" | "signed" | "unsigned";

export interface Fixup {
  /** Offset of the field from the start of the instruction. */
  readonly offset: number;
  readonly size: 1 | 2 | 4 | 8;
  /**
   * pcrel: the field holds target - end of instruction (branches, rip-relative);
   * signed: a sign-extended absolute (disp32, imm32 of a 64-bit operation);
   * unsigned: a zero-extended or full-width absolute.
   */
  readonly kind: FixupKind;
  readonly symbol: SymbolRef;
  /** Relocation addend: the operand's addend, less the distance from the field to the end of
   * the instruction for pc-relative fields (so `call f` has -4). */
  readonly addend: bigint;
  /** Index of the operand the field belongs to. */
  readonly operand: number;
  /** True for a branch or call (relocated with PLT32 when the target is not resolved locally). */
  readonly branch: boolean;
}

export interface Encoding {
  readonly bytes: Uint8Array;
  readonly fixups: readonly Fixup[];
}

export interface EncodeError {
  readonly error: string;
  /** Index of the operand at fault, when there is one. */
  readonly operand?: number;
}

export function isEncodeError<T extends object>(x: T | EncodeError): x is EncodeError {
  return "error" in x;
}

export const enum SlotKind {
  Register,
  Immediate,
  Memory,
  /** A branch target. */
  Relative,
}

/**
 * One operand in flat fields. A value (immediate, displacement, branch target, or the addend of
 * a symbol) is the signed 64-bit number `value` when a number holds it exactly, else `wide`.
 */
export class OperandSlot {
  kind = SlotKind.Register;
  /** The register of a register operand. */
  reg: Register | undefined = undefined;
  seg: Register | undefined = undefined;
  base: Register | undefined = undefined;
  index: Register | undefined = undefined;
  scale: 1 | 2 | 4 | 8 = 1;
  value = 0;
  wide: bigint | undefined = undefined;
  /**
   * The symbol whose value the field awaits (left zero, with a fixup), as a number the caller
   * gives meaning to (the assembler's symbol id); -1 when the value is a constant.
   */
  symbol = -1;
  /** Memory: a displacement width other than the shortest (decoded instructions, NOP fill). */
  dispBits: 0 | 8 | 32 = 0;
  /** Memory: a SIB byte no register needs (decoded instructions). */
  sib = false;

  /** Empties the slot for a new operand of `kind`. */
  reset(kind: SlotKind): void {
    this.kind = kind;
    this.reg = this.seg = this.base = this.index = undefined;
    this.scale = 1;
    this.value = 0;
    this.wide = undefined;
    this.symbol = -1;
    this.dispBits = 0;
    this.sib = false;
  }

  /** Sets the value from a BigInt, read modulo 2^64. */
  setValue(v: bigint): void {
    const signed = BigInt.asIntN(64, v);
    this.value = Number(signed);
    this.wide = Number.isSafeInteger(this.value) ? undefined : signed;
  }

  /** The value as a signed 64-bit BigInt. */
  bigValue(): bigint {
    return this.wide ?? BigInt(this.value);
  }
}

/** The most operands a form has. */
export const MAX_OPERANDS = Math.max(...FORMS.map((f) => f.operands.length));

/** Prefixes of an instruction that has none written. */
export const NO_PREFIXES: Prefixes = Object.freeze({});

/** A form and its operands in slots: what the encoder encodes. */
export class EncodeInput {
  form: Form = FORMS[0]!;
  prefixes: Prefixes = NO_PREFIXES;

  constructor(readonly slots: readonly OperandSlot[] = Array.from({ length: MAX_OPERANDS }, () => new OperandSlot())) {}
}

/** The fixups of one encoding, by index in parallel arrays; reused from one encoding to the next. */
export class FixupList {
  count = 0;
  readonly offset: number[] = [];
  readonly size: (1 | 2 | 4 | 8)[] = [];
  readonly kind: FixupKind[] = [];
  /** Index of the operand (slot) whose symbol and value the field holds. */
  readonly operand: number[] = [];
  readonly branch: boolean[] = [];
  /** Added to the operand's value to make the addend: minus the distance to the end of the instruction for pc-relative fields. */
  readonly adjust: number[] = [];

  add(offset: number, size: 1 | 2 | 4 | 8, kind: FixupKind, operand: number, branch: boolean, adjust: number): void {
    const k = this.count++;
    this.offset[k] = offset;
    this.size[k] = size;
    this.kind[k] = kind;
    this.operand[k] = operand;
    this.branch[k] = branch;
    this.adjust[k] = adjust;
  }
}

const SS = 2;
const DS = 3;
const SEGMENT_PREFIX = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];

const fitsInt8 = (v: number) => v >= -128 && v <= 127;
const fitsInt32 = (v: number) => v >= -0x80000000 && v <= 0x7fffffff;
const TWO_32 = 0x100000000;

/** An output buffer: encoding writes here, callers copy out what they keep. */
export class Sink {
  buf = new Uint8Array(32);
  len = 0;
  /** The REX prefix the last encoding wrote, 0 for none (the assembler's GOTPCRELX choice reads it). */
  rex = 0;

  byte(b: number): void {
    this.buf[this.len++] = b;
  }

  /** The low `size` bytes of a safe integer, little-endian. */
  number(v: number, size: number): void {
    let lo = v >>> 0;
    for (let i = 0; i < size && i < 4; i++) {
      this.buf[this.len++] = lo & 0xff;
      lo >>>= 8;
    }
    if (size <= 4) return;
    let hi = Math.floor(v / TWO_32) >>> 0;
    for (let i = 4; i < size; i++) {
      this.buf[this.len++] = hi & 0xff;
      hi >>>= 8;
    }
  }

  bigint(v: bigint, size: number): void {
    let x = BigInt.asUintN(size * 8, v);
    for (let i = 0; i < size; i++) {
      this.buf[this.len++] = Number(x & 0xffn);
      x >>= 8n;
    }
  }

  /** The low `size` bytes of a slot's value. */
  value(slot: OperandSlot, size: number): void {
    if (slot.wide === undefined) this.number(slot.value, size);
    else this.bigint(slot.wide, size);
  }

  zeros(size: number): void {
    for (let i = 0; i < size; i++) this.buf[this.len++] = 0;
  }
}

const sink = new Sink();
const input = new EncodeInput();
const fixupList = new FixupList();

/**
 * Encodes one instruction. `address` is where the instruction starts; it matters only for a
 * branch operand with a concrete target (RelativeOperand without symbol), whose displacement is
 * target - (address + length). Operands must be concrete or carry a symbol (then the field is
 * zero and a Fixup describes it). A decoded Instruction encodes back to exactly the bytes it
 * came from: its `prefixes.legacy` and `prefixes.rex` are emitted as recorded, `sib` keeps a SIB
 * byte no register needs and `dispBits` a non-shortest displacement.
 */
export function encodeInstruction(inst: Instruction, address: bigint = 0n): Encoding | EncodeError {
  input.form = inst.form;
  input.prefixes = inst.prefixes;
  for (let i = 0; i < inst.operands.length; i++) fillSlot(input.slots[i]!, inst.operands[i]!);
  const err = encode(input, address, sink, fixupList);
  if (err) return err;
  const fixups: Fixup[] = [];
  for (let k = 0; k < fixupList.count; k++) {
    const operand = fixupList.operand[k]!;
    const op = inst.operands[operand] as Exclude<Operand, { kind: "reg" }>;
    const value = op.kind === "imm" ? op.value : op.kind === "mem" ? op.disp : op.target;
    fixups.push({
      offset: fixupList.offset[k]!,
      size: fixupList.size[k]!,
      kind: fixupList.kind[k]!,
      symbol: op.symbol!,
      addend: value + BigInt(fixupList.adjust[k]!),
      operand,
      branch: fixupList.branch[k]!,
    });
  }
  return { bytes: sink.buf.slice(0, sink.len), fixups };
}

function fillSlot(slot: OperandSlot, op: Operand): void {
  switch (op.kind) {
    case "reg":
      slot.reset(SlotKind.Register);
      slot.reg = op.reg;
      return;
    case "imm":
      slot.reset(SlotKind.Immediate);
      slot.setValue(op.value);
      slot.symbol = op.symbol ? 0 : -1;
      return;
    case "mem":
      slot.reset(SlotKind.Memory);
      slot.seg = op.seg;
      slot.base = op.base;
      slot.index = op.index;
      slot.scale = op.scale;
      slot.setValue(op.disp);
      slot.symbol = op.symbol ? 0 : -1;
      slot.dispBits = op.dispBits ?? 0;
      slot.sib = op.sib ?? false;
      return;
    case "rel":
      slot.reset(SlotKind.Relative);
      slot.setValue(op.target);
      slot.symbol = op.symbol ? 0 : -1;
      return;
  }
}

/**
 * Encodes `input` into `out` (from its start), listing the fields left for symbols in `fixups`;
 * returns an error or undefined.
 */
export function encode(input: EncodeInput, address: bigint, out: Sink, fixups: FixupList): EncodeError | undefined {
  const form = input.form;
  const types = form.operands;
  const slots = input.slots;
  const prefixes = input.prefixes;
  out.len = 0;
  out.rex = 0;
  fixups.count = 0;
  let regField = -1;
  let regOperand: Register | undefined;
  let hasRm = false;
  let rmReg: Register | undefined;
  let opreg: Register | undefined;
  let mem: OperandSlot | undefined;
  let memIndex = -1;
  let rex = form.rexW ? 8 : 0;
  let forceRex = false;
  let highByte: Register | undefined;
  let highByteIndex = -1;

  for (let i = 0; i < types.length; i++) {
    const t = types[i]!.t;
    const op = slots[i]!;
    const r = op.kind === SlotKind.Register ? op.reg! : undefined;
    if (r) {
      if (r.cls === "gpr8h") {
        highByte = r;
        highByteIndex = i;
      } else if (r.cls === "gpr8" && r.needsRex) forceRex = true;
    }
    switch (t) {
      case "reg":
      case "creg":
      case "dreg":
        regOperand = r;
        break;
      case "rm":
      case "mem":
      case "rmreg":
        hasRm = true;
        rmReg = r;
        if (op.kind === SlotKind.Memory) {
          mem = op;
          memIndex = i;
        }
        break;
      case "opreg":
        opreg = r;
        break;
      case "moffs":
        mem = op;
        memIndex = i;
        break;
    }
  }
  if (form.modrm.kind === "r" && regOperand) {
    regField = regOperand.num;
    // The two-operand `imul $imm, %reg`: the register is both source and destination.
    if (!hasRm) rmReg = regOperand;
  } else if (form.modrm.kind === "digit") regField = form.modrm.digit;
  if (regField >= 8) rex |= 4;
  if (rmReg && rmReg.num >= 8) rex |= 1;
  if (opreg && opreg.num >= 8) rex |= 1;
  let addr32 = false;
  if (mem && types[memIndex]!.t !== "moffs") {
    if (mem.base && mem.base.cls !== "rip" && mem.base.num >= 8) rex |= 1;
    if (mem.index && mem.index.num >= 8) rex |= 2;
    addr32 = (mem.base !== undefined && mem.base.bits === 32) || (mem.index !== undefined && mem.index.bits === 32);
  }
  if ((rex !== 0 || forceRex || prefixes.rex !== undefined) && highByte)
    return { error: `can't encode register '%${highByte.name}' in an instruction requiring a REX prefix`, operand: highByteIndex };

  // Legacy prefixes: a decoded instruction's own bytes, else derived in GNU as's order.
  if (prefixes.legacy) for (const p of prefixes.legacy) out.byte(p);
  else {
    const seg = mem?.seg ?? prefixes.seg;
    if (seg) {
      // gas drops an override that names the default segment: ss for rbp/rsp bases (not r12/r13), else ds.
      const baseNum = mem?.base ? mem.base.num : -1;
      const defaultSeg = mem === undefined ? -1 : baseNum === 4 || baseNum === 5 ? SS : DS;
      if (seg.num !== defaultSeg) out.byte(SEGMENT_PREFIX[seg.num]!);
    }
    if (addr32) out.byte(0x67);
    if (form.opsizePrefix || prefixes.data16) out.byte(0x66);
    for (const p of form.mandatoryPrefixes) out.byte(p);
    if (prefixes.rep) out.byte(prefixes.rep === "rep" ? 0xf3 : 0xf2);
    if (prefixes.lock) out.byte(0xf0);
  }
  // A decoded REX byte is kept as written, bits that nothing reads included.
  if (prefixes.rex !== undefined) out.rex = prefixes.rex | rex;
  else if (rex !== 0 || forceRex) out.rex = 0x40 | rex;
  if (out.rex !== 0) out.byte(out.rex);

  const opcode = form.opcode;
  for (let i = 0; i < opcode.length - 1; i++) out.byte(opcode[i]!);
  if (opcode.length) out.byte(opcode[opcode.length - 1]! + (form.plusReg && opreg ? opreg.num & 7 : 0));

  // ModRM, SIB, displacement.
  let ripField = -1;
  if (form.modrm.kind === "fixed") out.byte(form.modrm.byte);
  else if (form.modrm.kind !== "none") {
    const reg3 = (regField & 7) << 3;
    if (rmReg) out.byte(0xc0 | reg3 | (rmReg.num & 7));
    else if (mem) {
      const m = encodeMemory(mem, addr32, reg3, out, fixups, memIndex);
      if (m !== undefined) {
        if (typeof m === "object") return m;
        ripField = m;
      }
    } else return { error: "form needs a register or memory operand" };
  }

  // Immediates and branch displacements, in operand order.
  let imm = 0;
  for (let i = 0; i < types.length; i++) {
    const t = types[i]!;
    const op = slots[i]!;
    if (t.t === "imm") {
      const size = (form.immediates[imm++]! / 8) as 1 | 2 | 4 | 8;
      if (op.symbol >= 0) {
        fixups.add(out.len, size, (t.signExtended || form.opsize === 64) && size === 4 ? "signed" : "unsigned", i, false, 0);
        out.zeros(size);
      } else out.value(op, size);
    } else if (t.t === "rel") {
      const size = (form.immediates[imm++]! / 8) as 1 | 4;
      const end = out.len + size;
      if (op.symbol >= 0) {
        fixups.add(out.len, size, "pcrel", i, true, -size);
        out.zeros(size);
      } else {
        // target - end of instruction, modulo 2^64; in numbers when they are exact.
        const at = Number(address) + end;
        const exact = op.wide === undefined && Number.isSafeInteger(at) && Number.isSafeInteger(op.value - at);
        const disp = exact ? op.value - at : Number(BigInt.asIntN(64, op.bigValue() - (address + BigInt(end))));
        if (size === 1 ? disp < -128 || disp > 127 : disp < -0x80000000 || disp > 0x7fffffff) return { error: `branch target out of range for a rel${size * 8} displacement`, operand: i };
        out.number(disp, size);
      }
    } else if (t.t === "moffs") {
      if (op.symbol >= 0) {
        fixups.add(out.len, 8, "unsigned", i, false, 0);
        out.zeros(8);
      } else out.value(op, 8);
    }
  }
  if (ripField >= 0) {
    // A rip-relative field's addend counts from the end of the instruction, after any immediate.
    let k = 0;
    while (k < fixups.count && !(fixups.offset[k] === ripField && fixups.kind[k] === "pcrel")) k++;
    if (k < fixups.count) fixups.adjust[k] = -(out.len - ripField);
    else {
      const save = out.len;
      out.len = ripField;
      out.value(mem!, 4);
      out.len = save;
    }
  }
  return undefined;
}

/**
 * Writes ModRM, SIB and displacement for a memory operand. Returns the offset of a rip-relative
 * disp32 (patched once the instruction's length is known), an error, or undefined.
 */
function encodeMemory(mem: OperandSlot, addr32: boolean, reg3: number, out: Sink, fixups: FixupList, operand: number): number | EncodeError | undefined {
  const base = mem.base;
  const index = mem.index;
  if (base?.cls === "rip") {
    out.byte(reg3 | 5);
    const at = out.len;
    if (mem.symbol >= 0) fixups.add(at, 4, "pcrel", operand, false, 0);
    out.zeros(4);
    return at;
  }
  // 32-bit addressing wraps the displacement to 32 bits (gas takes 0xffffffff as -1 there).
  let disp = mem.value;
  if (addr32) disp = mem.wide === undefined ? disp | 0 : Number(BigInt.asIntN(32, mem.wide));
  else if (mem.symbol < 0 && (mem.wide !== undefined || !fitsInt32(disp)))
    return { error: `displacement 0x${BigInt.asUintN(64, mem.bigValue()).toString(16)} does not fit in a signed 32-bit field`, operand };
  if (!base) {
    // No base: SIB with base 101 and mod 00 means disp32 with no base.
    out.byte(reg3 | 4);
    out.byte(sib(mem.scale, index ? index.num & 7 : 4, 5));
    writeDisp32(mem, addr32, out, fixups, operand);
    return undefined;
  }
  const b = base.num & 7;
  let mod: number;
  if (mem.symbol >= 0 || mem.dispBits === 32) mod = 2;
  else if (mem.dispBits === 8) mod = 1;
  else if (disp === 0 && b !== 5) mod = 0;
  else mod = fitsInt8(disp) ? 1 : 2;
  if (index || b === 4 || mem.sib) {
    out.byte((mod << 6) | reg3 | 4);
    out.byte(sib(mem.scale, index ? index.num & 7 : 4, b));
  } else out.byte((mod << 6) | reg3 | b);
  if (mod === 1) out.number(disp, 1);
  else if (mod === 2) writeDisp32(mem, addr32, out, fixups, operand);
  return undefined;
}

function writeDisp32(mem: OperandSlot, addr32: boolean, out: Sink, fixups: FixupList, operand: number): void {
  if (mem.symbol >= 0) {
    fixups.add(out.len, 4, addr32 ? "unsigned" : "signed", operand, false, 0);
    out.zeros(4);
  } else out.value(mem, 4);
}

function sib(scale: 1 | 2 | 4 | 8, index: number, base: number): number {
  const ss = scale === 1 ? 0 : scale === 2 ? 1 : scale === 4 ? 2 : 3;
  return (ss << 6) | (index << 3) | base;
}
