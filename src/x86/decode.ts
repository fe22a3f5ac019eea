/**
 * Bytes -> Instruction for every non-alias row of the table. The lookup structures are built
 * once from FORMS when the module loads: an opcode trie whose leaves hold, per mandatory
 * prefix, the forms chosen by ModRM byte and then by effective operand size. Decoding is a walk
 * over that structure with no per-instruction closures and no strings; anything it cannot
 * place is `(bad)` for one byte, and no input makes it throw.
 *
 * A decoded instruction records what re-encoding needs: the legacy prefix bytes in order, the
 * REX byte as written, a displacement wider than needed and a SIB byte no register needs.
 */
import type { Instruction, MemoryOperand, Operand, Prefixes, RegisterOperand } from "./instruction.js";
import { gpr, registerByName, registerOf, type Register } from "./registers.js";
import { FORMS, type Form } from "./table.js";

export type DecodeResult =
  | { readonly ok: true; readonly instruction: Instruction; readonly length: number }
  | { readonly ok: false; readonly length: number; readonly reason: string };

/** The longest instruction the CPU accepts. */
const MAX_LENGTH = 15;

// Operand kinds, one per form operand, so that decoding is a switch.
const K_REG = 0; // G: ModRM.reg
const K_RM = 1; // E: ModRM.rm, register or memory
const K_OPREG = 2; // Z: low opcode bits
const K_FIXED = 3;
const K_IMM = 4;
const K_REL = 5;
const K_MOFFS = 6;
const K_CREG = 7;
const K_DREG = 8;
const K_ONE = 9;

/** A form with its operands reduced to what decoding needs. */
interface Plan {
  readonly form: Form;
  readonly kinds: readonly number[];
  /** Register width per operand (G, E, Z), 0 elsewhere. */
  readonly bits: readonly number[];
  /** Immediate and branch displacement sizes in bytes, in encoding order. */
  readonly immBytes: readonly number[];
  /** Immediates sign-extended to the operand size (sI, and Iz of a 64-bit operation). */
  readonly immSigned: readonly boolean[];
  readonly fixed: readonly (RegisterOperand | undefined)[];
  /** The index of the ModRM register-or-memory operand (E, M, R), or -1. */
  readonly rmIndex: number;
  /** A branch: its one immediate is the displacement. */
  readonly relative: boolean;
  /** A branch with a rel32 displacement. */
  readonly relative32: boolean;
  /** Has a 64-bit absolute address (movabs). */
  readonly moffs: boolean;
  /** The opcode has more than one byte (0f ...). */
  readonly twoByte: boolean;
  /** The ModRM byte holds operands (it is not a fixed byte like 0f 01 d9's). */
  readonly modrmOperands: boolean;
}

/** Plans by effective operand size: [16, 32, 64]. */
type BySize = readonly (Plan | undefined)[];

/** The forms of one opcode under one mandatory prefix. */
interface Slot {
  /** Forms with a ModRM byte, by that byte's value. */
  readonly byModrm: readonly (BySize | undefined)[] | undefined;
  /** Forms without ModRM whose opcode is exact. */
  readonly plain: BySize | undefined;
  /** Forms without ModRM with a register in the low opcode bits. */
  readonly plusReg: BySize | undefined;
}

interface OpcodeEntry {
  /** Slots by mandatory prefix: none, 66, f2, f3. */
  readonly slots: (Slot | undefined)[];
  next: (OpcodeEntry | undefined)[] | undefined;
}

interface SlotBuilder {
  readonly plain: Form[];
  readonly plusReg: Form[];
  readonly fixed: Map<number, Form[]>;
  readonly digit: Form[][];
  readonly r: Form[];
}

const MANDATORY_INDEX = new Map([
  [0x66, 1],
  [0xf2, 2],
  [0xf3, 3],
]);

/**
 * Register operands are shared, one per register, and small numbers are BigInts made once:
 * a listing decodes hundreds of thousands of instructions, and their garbage was a good part
 * of its time. (Not frozen: frozen objects have other hidden classes than the operands and
 * prefixes made per instruction, and every reader of them would see both.)
 */
const registerOperands = new Map<Register, RegisterOperand>();
function registerOperand(reg: Register): RegisterOperand {
  let operand = registerOperands.get(reg);
  if (!operand) registerOperands.set(reg, (operand = { kind: "reg", reg }));
  return operand;
}
const SMALL_MIN = -128;
const SMALL_MAX = 255;
const SMALL_BIGINTS = Array.from({ length: SMALL_MAX - SMALL_MIN + 1 }, (_, i) => BigInt(i + SMALL_MIN));
/** BigInt(n) for an integer n, allocating only outside imm8/disp8 range. */
const bigintOf = (n: number): bigint => (n >= SMALL_MIN && n <= SMALL_MAX ? SMALL_BIGINTS[n - SMALL_MIN]! : BigInt(n));

function planOf(form: Form): Plan {
  const kinds: number[] = [];
  const bits: number[] = [];
  const immSigned: boolean[] = [];
  const fixed: (RegisterOperand | undefined)[] = [];
  for (const o of form.operands) {
    let kind: number;
    let width = 0;
    let reg: Register | undefined;
    switch (o.t) {
      case "reg":
        kind = K_REG;
        width = o.bits;
        break;
      case "rm":
      case "mem":
      case "rmreg":
        kind = K_RM;
        width = o.bits;
        break;
      case "opreg":
        kind = K_OPREG;
        width = o.bits;
        break;
      case "fixed":
        kind = K_FIXED;
        reg = o.reg;
        break;
      case "imm":
        kind = K_IMM;
        immSigned.push(o.signExtended || (o.bits === 32 && form.opsize === 64));
        break;
      case "rel":
        kind = K_REL;
        immSigned.push(true);
        break;
      case "moffs":
        kind = K_MOFFS;
        width = o.bits;
        break;
      case "creg":
        kind = K_CREG;
        break;
      case "dreg":
        kind = K_DREG;
        break;
      case "one":
        kind = K_ONE;
        break;
    }
    kinds.push(kind);
    bits.push(width);
    fixed.push(reg && registerOperand(reg));
  }
  const immBytes = form.immediates.map((b) => b / 8);
  const relative = kinds.includes(K_REL);
  return {
    form,
    kinds,
    bits,
    immBytes,
    immSigned,
    fixed,
    rmIndex: kinds.indexOf(K_RM),
    relative,
    relative32: relative && immBytes.includes(4),
    moffs: kinds.includes(K_MOFFS),
    twoByte: form.opcode.length > 1,
    modrmOperands: form.modrm.kind !== "fixed",
  };
}

/** True when `form` is what the CPU executes at effective operand size `osz`. */
function sizeMatches(form: Form, osz: number): boolean {
  if (form.default64) return form.opsize === 64 ? osz !== 16 : form.opsize === osz;
  return form.opsize === osz;
}

/** Forms whose operand size is fixed by the opcode: 66 and REX.W select nothing. */
const sizeFree = (form: Form) => form.opsize === 0 || form.opsize === 8;

function bySize(forms: readonly Form[], plans: Map<Form, Plan>): BySize | undefined {
  if (forms.length === 0) return undefined;
  return [16, 32, 64].map((osz) => {
    const form = forms.find((f) => sizeMatches(f, osz)) ?? forms.find(sizeFree);
    return form && plans.get(form);
  });
}

/** Whether a form's ModRM operand accepts this mod field (M: memory only, R: register only). */
function modFits(form: Form, mod: number): boolean {
  for (const o of form.operands) {
    if (o.t === "mem") return mod !== 3;
    if (o.t === "rmreg") return mod === 3;
  }
  return true;
}

function buildSlot(b: SlotBuilder, plans: Map<Form, Plan>): Slot {
  const modrmForms = b.fixed.size > 0 || b.r.length > 0 || b.digit.some((d) => d.length > 0);
  let byModrm: (BySize | undefined)[] | undefined;
  if (modrmForms) {
    // Apart from fixed ModRM bytes, the forms depend only on the reg field and on whether mod
    // is 3: sixteen cases, not 256 (building the trie is part of every CLI start).
    const byRegAndMod = Array.from({ length: 16 }, (_, i) => {
      const mod = i & 1 ? 3 : 0;
      let forms = b.digit[i >> 1]!.filter((f) => modFits(f, mod));
      if (forms.length === 0) forms = b.r.filter((f) => modFits(f, mod));
      return bySize(forms, plans);
    });
    byModrm = new Array(256);
    for (let m = 0; m < 256; m++) byModrm[m] = byRegAndMod[((m >> 2) & 14) | (m >> 6 === 3 ? 1 : 0)];
    for (const [m, forms] of b.fixed) byModrm[m] = bySize(forms, plans);
  }
  return { byModrm, plain: bySize(b.plain, plans), plusReg: bySize(b.plusReg, plans) };
}

function newSlotBuilder(): SlotBuilder {
  return { plain: [], plusReg: [], fixed: new Map(), digit: Array.from({ length: 8 }, () => []), r: [] };
}

function buildTrie(): (OpcodeEntry | undefined)[] {
  const root: (OpcodeEntry | undefined)[] = new Array(256).fill(undefined);
  const builders = new Map<OpcodeEntry, (SlotBuilder | undefined)[]>();
  const plans = new Map<Form, Plan>();
  const entryAt = (path: readonly number[]): OpcodeEntry => {
    let table = root;
    let entry: OpcodeEntry | undefined;
    for (let i = 0; i < path.length; i++) {
      entry = table[path[i]!] ??= { slots: [undefined, undefined, undefined, undefined], next: undefined };
      if (i < path.length - 1) table = entry.next ??= new Array(256).fill(undefined);
    }
    return entry!;
  };
  for (const form of FORMS) {
    if (form.alias) continue;
    plans.set(form, planOf(form));
    const mandatory = form.mandatoryPrefixes.length ? MANDATORY_INDEX.get(form.mandatoryPrefixes.at(-1)!)! : 0;
    const last = form.opcode.at(-1)!;
    for (let r = 0; r < (form.plusReg ? 8 : 1); r++) {
      const entry = entryAt([...form.opcode.slice(0, -1), last + r]);
      let slots = builders.get(entry);
      if (!slots) builders.set(entry, (slots = [undefined, undefined, undefined, undefined]));
      const b = (slots[mandatory] ??= newSlotBuilder());
      const m = form.modrm;
      if (form.plusReg) b.plusReg.push(form);
      else if (m.kind === "none") b.plain.push(form);
      else if (m.kind === "fixed") b.fixed.set(m.byte, [...(b.fixed.get(m.byte) ?? []), form]);
      else if (m.kind === "digit") b.digit[m.digit]!.push(form);
      else b.r.push(form);
    }
  }
  for (const [entry, slots] of builders) slots.forEach((b, i) => (entry.slots[i] = b && buildSlot(b, plans)));
  return root;
}

const ROOT = buildTrie();

// Legacy prefix kinds.
const P_NONE = 0;
const P_OPSIZE = 1;
const P_ADDR = 2;
const P_LOCK = 3;
const P_REP = 4;
const P_SEG = 5;
const PREFIX_KIND = new Uint8Array(256);
PREFIX_KIND[0x66] = P_OPSIZE;
PREFIX_KIND[0x67] = P_ADDR;
PREFIX_KIND[0xf0] = P_LOCK;
PREFIX_KIND[0xf2] = P_REP;
PREFIX_KIND[0xf3] = P_REP;
for (const b of [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65]) PREFIX_KIND[b] = P_SEG;

const SEGMENT_OF_PREFIX: (Register | undefined)[] = [];
SEGMENT_OF_PREFIX[0x26] = registerByName("es");
SEGMENT_OF_PREFIX[0x2e] = registerByName("cs");
SEGMENT_OF_PREFIX[0x36] = registerByName("ss");
SEGMENT_OF_PREFIX[0x3e] = registerByName("ds");
SEGMENT_OF_PREFIX[0x64] = registerByName("fs");
SEGMENT_OF_PREFIX[0x65] = registerByName("gs");

const regsOf = (bits: 8 | 16 | 32 | 64, rex: boolean) => Array.from({ length: 16 }, (_, n) => gpr(bits, n, rex));
/** Address registers by number, 64-bit and (with 67) 32-bit. */
const ADDRESS64 = regsOf(64, true);
const ADDRESS32 = regsOf(32, true);
const operandsOf = (regs: readonly Register[]) => regs.map(registerOperand);
/** General register operands by width and number; 8-bit numbers 4-7 are ah-bh without REX. */
const GPR: Record<number, readonly RegisterOperand[]> = { 16: operandsOf(regsOf(16, true)), 32: operandsOf(ADDRESS32), 64: operandsOf(ADDRESS64) };
const GPR8_REX = operandsOf(regsOf(8, true));
const GPR8_LEGACY = operandsOf(regsOf(8, false));
/** Control and debug register operands by number. */
const CONTROL = Array.from({ length: 16 }, (_, n) => registerOperand(registerOf("cr", n)));
const DEBUG = Array.from({ length: 8 }, (_, n) => registerOperand(registerOf("dr", n)));
const RIP = registerByName("rip")!;
const EIP = registerByName("eip")!;
const MAX_ADDRESS = (1n << 64n) - 1n;

const NO_PREFIXES = prefixesOf(undefined, undefined, undefined, 0, 0, undefined);
/** The prefixes of an instruction whose only prefix is a REX byte, by that byte's low bits. */
const REX_ONLY: readonly Prefixes[] = Array.from({ length: 16 }, (_, bits) => prefixesOf(undefined, undefined, undefined, 0, 0x40 | bits, undefined));

/** Prefixes in one shape whatever is set, so that readers see one kind of object. */
function prefixesOf(lock: true | undefined, rep: Prefixes["rep"], seg: Register | undefined, data16: number, rex: number, legacy: readonly number[] | undefined): Prefixes {
  return { lock, rep, seg, data16: data16 || undefined, rex: rex || undefined, legacy };
}

const bad = (reason: string): DecodeResult => ({ ok: false, length: 1, reason });
const TRUNCATED = "truncated instruction";

function readSigned(bytes: Uint8Array, p: number, size: number): number {
  switch (size) {
    case 1:
      return (bytes[p]! << 24) >> 24;
    case 2:
      return ((bytes[p]! | (bytes[p + 1]! << 8)) << 16) >> 16;
    default:
      return bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24);
  }
}

function readValue(bytes: Uint8Array, p: number, size: number, signed: boolean): bigint {
  if (size === 8) {
    const lo = BigInt((bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24)) >>> 0);
    const hi = BigInt((bytes[p + 4]! | (bytes[p + 5]! << 8) | (bytes[p + 6]! << 16) | (bytes[p + 7]! << 24)) >>> 0);
    const v = (hi << 32n) | lo;
    return signed ? BigInt.asIntN(64, v) : v;
  }
  const s = readSigned(bytes, p, size);
  if (signed) return bigintOf(s);
  return bigintOf(size === 4 ? s >>> 0 : s & ((1 << (size * 8)) - 1));
}

/**
 * Decodes the instruction at `bytes[offset]`, which sits at `address` (branch targets come out
 * absolute). Never throws: bytes it cannot decode give `ok: false` with a length of 1.
 */
export function decode(bytes: Uint8Array, offset: number, address: bigint): DecodeResult {
  const end = Math.min(bytes.length, offset + MAX_LENGTH);
  let p = offset;
  let has66 = false;
  let has67 = false;
  let lock = false;
  let lastRep = 0;
  let lastSeg = 0;
  // The segment a memory operand uses: the last fs/gs (64-bit mode ignores cs, ds, es, ss).
  let activeSeg: Register | undefined;
  let data16 = 0;
  let b = 0;
  for (;;) {
    if (p >= end) return bad(p - offset >= MAX_LENGTH ? "too many prefixes" : TRUNCATED);
    b = bytes[p]!;
    const kind = PREFIX_KIND[b]!;
    if (kind === P_NONE) break;
    if (kind === P_OPSIZE) {
      if (has66) data16++;
      has66 = true;
    } else if (kind === P_ADDR) has67 = true;
    else if (kind === P_LOCK) lock = true;
    else if (kind === P_REP) lastRep = b;
    else {
      lastSeg = b;
      if (b === 0x64 || b === 0x65) activeSeg = SEGMENT_OF_PREFIX[b];
    }
    p++;
  }
  const legacy = p > offset ? copyBytes(bytes, offset, p) : undefined;
  let rex = 0;
  if ((b & 0xf0) === 0x40) {
    rex = b;
    if (++p >= end) return bad(TRUNCATED);
    b = bytes[p]!;
    if (PREFIX_KIND[b] !== P_NONE || (b & 0xf0) === 0x40) return bad("REX prefix not followed by an opcode");
  }

  let entry = ROOT[b];
  p++;
  while (entry?.next) {
    if (p >= end) return bad(TRUNCATED);
    b = bytes[p++]!;
    entry = entry.next[b];
  }
  if (!entry) return bad("unknown opcode");

  // The last f2/f3 selects a mandatory-prefix form when the opcode has one; otherwise it is a
  // rep prefix (objdump's rule too).
  let slot: Slot | undefined;
  let mandatory = 0;
  if (lastRep !== 0 && (slot = entry.slots[lastRep === 0xf3 ? 3 : 2])) mandatory = lastRep;
  else if (has66 && (slot = entry.slots[1])) mandatory = 0x66;
  else slot = entry.slots[0];
  if (!slot) return bad("unknown opcode");

  const osz = rex & 8 ? 2 : has66 && mandatory !== 0x66 ? 0 : 1;
  let plan: Plan | undefined;
  let modrm = -1;
  if (slot.byModrm) {
    if (p >= end) return bad(TRUNCATED);
    modrm = bytes[p++]!;
    plan = slot.byModrm[modrm]?.[osz];
  } else if (slot.plusReg && !(slot.plain && (b & 7) === 0 && (rex & 1) === 0 && !has66)) {
    // 90 is nop unless 66 or REX.B make it an xchg with the accumulator.
    plan = slot.plusReg[osz];
  } else plan = slot.plain?.[osz];
  if (!plan) return bad("unknown opcode");
  const form = plan.form;
  // Before a two-byte opcode f2/f3 select other instructions (f3 0f 09 is wbnoinvd, f3 0f ae
  // rdfsbase...); only the rel32 branches take them as plain (bnd) prefixes.
  if (lastRep !== 0 && mandatory === 0 && plan.twoByte && !plan.relative) return bad("f2/f3 before a two-byte opcode");
  // Likewise 66 where it does not select the operand size (66 0f ae f0 is tpause, not mfence).
  if (has66 && mandatory === 0 && plan.twoByte && sizeFree(form)) return bad("66 before a two-byte opcode it does not size");
  if (has66 && plan.relative32) return bad("66 before a rel32 branch (rel16)");
  // REX.W overrides 66, but whether objdump then names the 66 depends on the opcode.
  if (has66 && rex & 8 && !sizeFree(form) && mandatory !== 0x66) return bad("66 with REX.W");
  if (has67 && form.mnemonic === "jrcxz") return bad("jecxz (67 e3) is not in the table");

  // ModRM operand.
  let rmOperand: Operand | undefined;
  let mem: MemoryOperand | undefined;
  if (modrm >= 0 && plan.modrmOperands) {
    const mod = modrm >> 6;
    const rmField = (modrm & 7) | ((rex & 1) << 3);
    const rmIndex = plan.rmIndex;
    if (mod === 3) {
      if (rmIndex >= 0) rmOperand = generalOperand(plan.bits[rmIndex]!, rmField, rex);
    } else {
      let base: Register | undefined;
      let index: Register | undefined;
      let scale: 1 | 2 | 4 | 8 = 1;
      let sib = false;
      let dispSize = mod === 1 ? 1 : mod === 2 ? 4 : 0;
      const addrRegs = has67 ? ADDRESS32 : ADDRESS64;
      if ((modrm & 7) === 4) {
        if (p >= end) return bad(TRUNCATED);
        const s = bytes[p++]!;
        scale = (1 << (s >> 6)) as 1 | 2 | 4 | 8;
        const indexField = ((s >> 3) & 7) | ((rex & 2) << 2);
        if (indexField !== 4) index = addrRegs[indexField];
        if ((s & 7) === 5 && mod === 0) dispSize = 4;
        else base = addrRegs[(s & 7) | ((rex & 1) << 3)];
        // A SIB byte no register needed: (%rax,%riz,1), or a scale with no index.
        sib = !index && base !== undefined && (base.num & 7) !== 4;
      } else if (mod === 0 && (modrm & 7) === 5) {
        base = has67 ? EIP : RIP;
        dispSize = 4;
      } else base = addrRegs[rmField];
      if (p + dispSize > end) return bad(TRUNCATED);
      const disp = dispSize ? readSigned(bytes, p, dispSize) : 0;
      p += dispSize;
      const seg = activeSeg;
      const dispBits = dispSize === 0 || base === undefined || base === RIP || base === EIP || dispSize === shortestDisp(disp, base) ? undefined : dispSize === 1 ? 8 : 32;
      mem = { kind: "mem", seg, base, index, scale, disp: bigintOf(disp), dispBits, sib: sib || undefined };
      rmOperand = mem;
    }
    if (!rmOperand && rmIndex >= 0) return bad("unknown opcode");
  }

  // Immediates and branch displacements, in encoding order (a branch has only its displacement).
  let imm0 = 0n;
  let imm1 = 0n;
  let branchDisp = 0;
  let moffs = 0n;
  const immBytes = plan.immBytes;
  for (let i = 0; i < immBytes.length; i++) {
    const size = immBytes[i]!;
    if (p + size > end) return bad(TRUNCATED);
    if (plan.relative) branchDisp = readSigned(bytes, p, size);
    else if (i === 0) imm0 = readValue(bytes, p, size, plan.immSigned[i]!);
    else imm1 = readValue(bytes, p, size, plan.immSigned[i]!);
    p += size;
  }
  if (plan.moffs) {
    if (has67) return bad("32-bit absolute address (addr32 movabs)");
    if (p + 8 > end) return bad(TRUNCATED);
    moffs = readValue(bytes, p, 8, false);
    p += 8;
  }
  const length = p - offset;

  // Operands in AT&T order; the k-th immediate operand takes the k-th encoded immediate.
  const operands: Operand[] = new Array(plan.kinds.length); // exactly as long as needed (see copyBytes)
  const regField = modrm >= 0 ? ((modrm >> 3) & 7) | ((rex & 4) << 1) : 0;
  let immCount = 0;
  for (let i = 0; i < plan.kinds.length; i++) {
    switch (plan.kinds[i]) {
      case K_REG:
        operands[i] = generalOperand(plan.bits[i]!, regField, rex);
        break;
      case K_RM:
        operands[i] = rmOperand!;
        break;
      case K_OPREG:
        operands[i] = generalOperand(plan.bits[i]!, (b & 7) | ((rex & 1) << 3), rex);
        break;
      case K_FIXED:
        operands[i] = plan.fixed[i]!;
        break;
      case K_IMM:
        operands[i] = { kind: "imm", value: immCount++ === 0 ? imm0 : imm1 };
        break;
      case K_REL: {
        let target = address + BigInt(length + branchDisp);
        if (target < 0n || target > MAX_ADDRESS) target = BigInt.asUintN(64, target);
        operands[i] = { kind: "rel", target };
        break;
      }
      case K_MOFFS: {
        mem = { kind: "mem", seg: activeSeg, base: undefined, index: undefined, scale: 1, disp: moffs, dispBits: undefined, sib: undefined };
        operands[i] = mem;
        break;
      }
      case K_CREG:
        operands[i] = CONTROL[regField]!;
        break;
      case K_DREG: {
        const operand = DEBUG[regField];
        if (!operand) return bad("no debug register above db7");
        operands[i] = operand;
        break;
      }
      case K_ONE:
        operands[i] = { kind: "imm", value: 1n };
        break;
    }
  }

  let prefixes = NO_PREFIXES;
  if (!legacy && rex) prefixes = REX_ONLY[rex & 0xf]!;
  else if (legacy) {
    // A segment prefix that does not reach a memory operand stays a prefix (string
    // instructions take fs/gs from here).
    const segWord = lastSeg !== 0 && !mem?.seg ? (activeSeg ?? SEGMENT_OF_PREFIX[lastSeg]) : undefined;
    const unusedOpsize = has66 && !form.opsizePrefix && mandatory !== 0x66 ? 1 : 0;
    const rep = lastRep === 0 || lastRep === mandatory ? undefined : lastRep === 0xf3 ? "rep" : "repne";
    prefixes = prefixesOf(lock || undefined, rep, segWord, data16 + unusedOpsize, rex, legacy);
  }
  return { ok: true, instruction: { form, operands, prefixes }, length };
}

/** The displacement size an encoder would choose for `disp` off `base` (never 0 for rbp/r13). */
function shortestDisp(disp: number, base: Register): number {
  if (disp === 0 && (base.num & 7) !== 5) return 0;
  return disp >= -128 && disp <= 127 ? 1 : 4;
}

/** bytes[start, end) as an array of exactly that length (one that grows by push reserves room for 17). */
function copyBytes(bytes: Uint8Array, start: number, end: number): number[] {
  const copy: number[] = new Array(end - start);
  for (let i = start; i < end; i++) copy[i - start] = bytes[i]!;
  return copy;
}

function generalOperand(bits: number, num: number, rex: number): RegisterOperand {
  if (bits === 8) return (rex ? GPR8_REX : GPR8_LEGACY)[num]!;
  return GPR[bits === 0 ? 64 : bits]![num]!;
}

/**
 * Decodes a whole buffer from its start, `base` being the address of its first byte. Bytes
 * that do not decode come out one at a time as failed results, and decoding resumes after them.
 */
export function decodeAll(bytes: Uint8Array, base: bigint): { address: bigint; bytes: Uint8Array; result: DecodeResult }[] {
  const out: { address: bigint; bytes: Uint8Array; result: DecodeResult }[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const address = base + BigInt(offset);
    const result = decode(bytes, offset, address);
    out.push({ address, bytes: bytes.subarray(offset, offset + result.length), result });
    offset += result.length;
  }
  return out;
}
