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
 */
import type { Instruction, MemoryOperand, Operand, SymbolRef } from "./instruction.js";
import type { Register } from "./registers.js";

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

const SS = 2;
const DS = 3;
const SEGMENT_PREFIX = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];

const fitsInt8 = (v: bigint) => v >= -128n && v <= 127n;
const fitsInt32 = (v: bigint) => v >= -0x80000000n && v <= 0x7fffffffn;

/** Reusable output buffer: encoding writes here, callers copy out what they keep. */
class Sink {
  buf = new Uint8Array(32);
  len = 0;
  byte(b: number): void {
    this.buf[this.len++] = b;
  }
  le(v: bigint, size: number): void {
    let x = BigInt.asUintN(size * 8, v);
    if (size <= 4) {
      let n = Number(x);
      for (let i = 0; i < size; i++) {
        this.buf[this.len++] = n & 0xff;
        n = Math.floor(n / 256);
      }
      return;
    }
    for (let i = 0; i < size; i++) {
      this.buf[this.len++] = Number(x & 0xffn);
      x >>= 8n;
    }
  }
}

const sink = new Sink();

/**
 * Encodes one instruction. `address` is where the instruction starts; it matters only for a
 * branch operand with a concrete target (RelativeOperand without symbol), whose displacement is
 * target - (address + length). Operands must be concrete or carry a symbol (then the field is
 * zero and a Fixup describes it). A decoded Instruction encodes back to exactly the bytes it
 * came from: its `prefixes.legacy` and `prefixes.rex` are emitted as recorded, `sib` keeps a SIB
 * byte no register needs and `dispBits` a non-shortest displacement.
 */
export function encodeInstruction(inst: Instruction, address: bigint = 0n): Encoding | EncodeError {
  const fixups: Fixup[] = [];
  const err = encodeInto(inst, address, sink, fixups);
  if (err) return err;
  return { bytes: sink.buf.slice(0, sink.len), fixups };
}

/** Encodes into the shared sink; returns an error or undefined. Exposed for the assembler's hot path. */
export function encodeToSink(inst: Instruction, address: bigint, fixups: Fixup[]): { bytes: Uint8Array; length: number } | EncodeError {
  const err = encodeInto(inst, address, sink, fixups);
  if (err) return err;
  return { bytes: sink.buf, length: sink.len };
}

function encodeInto(inst: Instruction, address: bigint, out: Sink, fixups: Fixup[]): EncodeError | undefined {
  const form = inst.form;
  const ops = inst.operands;
  out.len = 0;
  let regField = -1;
  let regOperand: Register | undefined;
  let rm: Operand | undefined;
  let opreg: Register | undefined;
  let mem: MemoryOperand | undefined;
  let memIndex = -1;
  let rex = form.rexW ? 8 : 0;
  let forceRex = false;
  let highByte: Register | undefined;
  let highByteIndex = -1;

  for (let i = 0; i < form.operands.length; i++) {
    const t = form.operands[i]!.t;
    const op = ops[i]!;
    if (op.kind === "reg") {
      const r = op.reg;
      if (r.cls === "gpr8h") {
        highByte = r;
        highByteIndex = i;
      } else if (r.cls === "gpr8" && r.needsRex) forceRex = true;
    }
    switch (t) {
      case "reg":
      case "creg":
      case "dreg":
        regOperand = (op as { reg: Register }).reg;
        break;
      case "rm":
      case "mem":
      case "rmreg":
        rm = op;
        if (op.kind === "mem") {
          mem = op;
          memIndex = i;
        }
        break;
      case "opreg":
        opreg = (op as { reg: Register }).reg;
        break;
      case "moffs":
        mem = op as MemoryOperand;
        memIndex = i;
        break;
    }
  }
  if (form.modrm.kind === "r" && regOperand) {
    regField = regOperand.num;
    // The two-operand `imul $imm, %reg`: the register is both source and destination.
    if (!rm) rm = { kind: "reg", reg: regOperand };
  } else if (form.modrm.kind === "digit") regField = form.modrm.digit;
  if (regField >= 8) rex |= 4;
  if (rm?.kind === "reg" && rm.reg.num >= 8) rex |= 1;
  if (opreg && opreg.num >= 8) rex |= 1;
  let addr32 = false;
  if (mem && form.operands[memIndex]!.t !== "moffs") {
    if (mem.base && mem.base.cls !== "rip" && mem.base.num >= 8) rex |= 1;
    if (mem.index && mem.index.num >= 8) rex |= 2;
    addr32 = (mem.base !== undefined && mem.base.bits === 32) || (mem.index !== undefined && mem.index.bits === 32);
  }
  if ((rex !== 0 || forceRex || inst.prefixes.rex !== undefined) && highByte)
    return { error: `can't encode register '%${highByte.name}' in an instruction requiring a REX prefix`, operand: highByteIndex };

  // Legacy prefixes: a decoded instruction's own bytes, else derived in GNU as's order.
  const prefixes = inst.prefixes;
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
  if (prefixes.rex !== undefined) out.byte(prefixes.rex | rex);
  else if (rex !== 0 || forceRex) out.byte(0x40 | rex);

  const opcode = form.opcode;
  for (let i = 0; i < opcode.length - 1; i++) out.byte(opcode[i]!);
  if (opcode.length) out.byte(opcode[opcode.length - 1]! + (form.plusReg && opreg ? opreg.num & 7 : 0));

  // ModRM, SIB, displacement.
  let ripField = -1;
  let ripDisp = 0n;
  if (form.modrm.kind === "fixed") out.byte(form.modrm.byte);
  else if (form.modrm.kind !== "none") {
    const reg3 = (regField & 7) << 3;
    if (rm?.kind === "reg") out.byte(0xc0 | reg3 | (rm.reg.num & 7));
    else if (mem) {
      const m = encodeMemory(mem, reg3, out, fixups, memIndex);
      if (m !== undefined) {
        if (typeof m === "object") return m;
        ripField = m;
        ripDisp = mem.disp;
      }
    } else return { error: "form needs a register or memory operand" };
  }

  // Immediates and branch displacements, in operand order.
  let imm = 0;
  for (let i = 0; i < form.operands.length; i++) {
    const t = form.operands[i]!;
    const op = ops[i]!;
    if (t.t === "imm") {
      const size = (form.immediates[imm++]! / 8) as 1 | 2 | 4 | 8;
      const v = op as { value: bigint; symbol?: SymbolRef };
      if (v.symbol) {
        const kind = (t.signExtended || form.opsize === 64) && size === 4 ? "signed" : "unsigned";
        fixups.push({ offset: out.len, size, kind, symbol: v.symbol, addend: v.value, operand: i, branch: false });
        out.le(0n, size);
      } else out.le(v.value, size);
    } else if (t.t === "rel") {
      const size = (form.immediates[imm++]! / 8) as 1 | 4;
      const rel = op as { target: bigint; symbol?: SymbolRef };
      const end = out.len + size;
      if (rel.symbol) {
        fixups.push({ offset: out.len, size, kind: "pcrel", symbol: rel.symbol, addend: rel.target - BigInt(size), operand: i, branch: true });
        out.le(0n, size);
      } else {
        const disp = BigInt.asIntN(64, rel.target - (address + BigInt(end)));
        if (size === 1 ? !fitsInt8(disp) : !fitsInt32(disp)) return { error: `branch target out of range for a rel${size * 8} displacement`, operand: i };
        out.le(disp, size);
      }
    } else if (t.t === "moffs") {
      const m = op as MemoryOperand;
      if (m.symbol) {
        fixups.push({ offset: out.len, size: 8, kind: "unsigned", symbol: m.symbol, addend: m.disp, operand: i, branch: false });
        out.le(0n, 8);
      } else out.le(m.disp, 8);
    }
  }
  if (ripField >= 0) {
    // A rip-relative field's addend counts from the end of the instruction, after any immediate.
    const f = fixups.find((x) => x.offset === ripField && x.kind === "pcrel");
    if (f) {
      fixups[fixups.indexOf(f)] = { ...f, addend: f.addend - BigInt(out.len - ripField) };
    } else {
      const save = out.len;
      out.len = ripField;
      out.le(ripDisp, 4);
      out.len = save;
    }
  }
  return undefined;
}

/**
 * Writes ModRM, SIB and displacement for a memory operand. Returns the offset of a rip-relative
 * disp32 (patched once the instruction's length is known), an error, or undefined.
 */
function encodeMemory(mem: MemoryOperand, reg3: number, out: Sink, fixups: Fixup[], operand: number): number | EncodeError | undefined {
  const base = mem.base;
  const index = mem.index;
  // 32-bit addressing wraps the displacement to 32 bits (gas takes 0xffffffff as -1 there).
  const disp = base?.bits === 32 || index?.bits === 32 ? BigInt.asIntN(32, mem.disp) : BigInt.asIntN(64, mem.disp);
  if (base?.cls === "rip") {
    out.byte(reg3 | 5);
    const at = out.len;
    if (mem.symbol) fixups.push({ offset: at, size: 4, kind: "pcrel", symbol: mem.symbol, addend: mem.disp, operand, branch: false });
    out.le(0n, 4);
    return at;
  }
  if (!mem.symbol && !fitsInt32(disp) && !(base?.bits === 32 || index?.bits === 32))
    return { error: `displacement 0x${BigInt.asUintN(64, disp).toString(16)} does not fit in a signed 32-bit field`, operand };
  if (!base) {
    // No base: SIB with base 101 and mod 00 means disp32 with no base.
    out.byte(reg3 | 4);
    out.byte(sib(mem.scale, index ? index.num & 7 : 4, 5));
    writeDisp32(mem, out, fixups, operand);
    return undefined;
  }
  const b = base.num & 7;
  let mod: number;
  if (mem.symbol || mem.dispBits === 32) mod = 2;
  else if (mem.dispBits === 8) mod = 1;
  else if (disp === 0n && b !== 5) mod = 0;
  else mod = fitsInt8(disp) ? 1 : 2;
  if (index || b === 4 || mem.sib) {
    out.byte((mod << 6) | reg3 | 4);
    out.byte(sib(mem.scale, index ? index.num & 7 : 4, b));
  } else out.byte((mod << 6) | reg3 | b);
  if (mod === 1) out.le(disp, 1);
  else if (mod === 2) writeDisp32(mem, out, fixups, operand);
  return undefined;
}

function writeDisp32(mem: MemoryOperand, out: Sink, fixups: Fixup[], operand: number): void {
  if (mem.symbol) {
    const kind = mem.base?.bits === 32 || mem.index?.bits === 32 ? "unsigned" : "signed";
    fixups.push({ offset: out.len, size: 4, kind, symbol: mem.symbol, addend: mem.disp, operand, branch: false });
    out.le(0n, 4);
  } else out.le(mem.disp, 4);
}

function sib(scale: 1 | 2 | 4 | 8, index: number, base: number): number {
  const ss = scale === 1 ? 0 : scale === 2 ? 1 : scale === 4 ? 2 : 3;
  return (ss << 6) | (index << 3) | base;
}
