/**
 * Which registers, flags and memory an Instruction reads and writes: its explicit operands
 * (with a role per operand, keyed by the form's `sem`) plus the implicit ones the semantics
 * carry (mul/div use rdx:rax, cpuid and rdmsr write edx:eax, push/pop/call/ret move rsp, string
 * operations walk rsi/rdi and count in rcx, ...). The front end's clobber check, the emulator's
 * tracing and the convention verifier all read this one description.
 *
 * Width rules are the CPU's: writing a 32-bit register zero-extends into the full 64-bit
 * register; writing an 8- or 16-bit register merges into it, keeping the other bits.
 */
import { ARITHMETIC_FLAGS, FLAGS } from "./flags.js";
import type { Instruction, MemoryOperand, Operand } from "./instruction.js";
import { fullRegister, gpr, isGpr, registerByName, type Register } from "./registers.js";
import type { Form } from "./table.js";

/** Everything popf can change in 64-bit mode at CPL 0 (VM and VIF excepted). */
const POPF_FLAGS = ARITHMETIC_FLAGS | FLAGS.TF | FLAGS.IF | FLAGS.DF | FLAGS.IOPL | FLAGS.NT | FLAGS.AC;

export type WriteKind =
  /** A 64-bit register, or a control/debug/segment register, replaced whole. */
  | "full"
  /** A 32-bit register: the upper half of the 64-bit register becomes zero. */
  | "zero-extend"
  /** An 8- or 16-bit register: the other bits of the 64-bit register keep their value. */
  | "merge";

export interface RegisterWrite {
  /** The register as the instruction names it (eax, al, ah, cr3, ...). */
  readonly reg: Register;
  /** The architectural register that changes (rax for eax/al/ah; the register itself otherwise). */
  readonly full: Register;
  readonly kind: WriteKind;
}

export interface Effects {
  /** Registers whose value the instruction uses, as named (address registers included). */
  readonly reads: readonly Register[];
  readonly writes: readonly RegisterWrite[];
  /** RFLAGS bits read (condition codes, adc's carry, pushf) and written. */
  readonly flagsRead: number;
  readonly flagsWritten: number;
  readonly memoryRead: boolean;
  readonly memoryWritten: boolean;
}

/**
 * How an explicit operand is used: read, written, both, only its address computed (lea,
 * invlpg), or not used at all (the multi-byte nop's operand).
 */
type Role = "r" | "w" | "rw" | "addr" | "none";

interface Semantics {
  /** Roles of the explicit operands in AT&T order; a function when they depend on the form. */
  readonly roles: readonly Role[] | ((form: Form) => readonly Role[]);
  readonly flagsRead?: number | ((form: Form) => number);
  readonly flagsWritten?: number;
  /** Implicit registers, 64-bit names; sized ones are derived from the form's operand size. */
  readonly implicit?: (form: Form, ins: Instruction) => Implicit;
}

interface Implicit {
  readonly reads?: readonly Register[];
  readonly writes?: readonly Register[];
  readonly memoryRead?: boolean;
  readonly memoryWritten?: boolean;
}

const R = (name: string): Register => registerByName(name)!;
const RSP = R("rsp");
const RBP = R("rbp");
const RCX = R("rcx");
const R11 = R("r11");

/** The accumulator-family register `num` (0 = rax, 1 = rcx, 2 = rdx, 3 = rbx) at a width. */
const sized = (num: number, bits: number): Register => gpr(bits === 8 ? 8 : bits === 16 ? 16 : bits === 32 ? 32 : 64, num);

const STATUS = ARITHMETIC_FLAGS;
const STATUS_NO_CF = ARITHMETIC_FLAGS & ~FLAGS.CF;

/** The flags a condition code tests (Intel SDM Vol. 1 B.1): indexed by cc >> 1. */
const CONDITION_FLAGS = [
  FLAGS.OF,
  FLAGS.CF,
  FLAGS.ZF,
  FLAGS.CF | FLAGS.ZF,
  FLAGS.SF,
  FLAGS.PF,
  FLAGS.SF | FLAGS.OF,
  FLAGS.ZF | FLAGS.SF | FLAGS.OF,
];
const conditionFlags = (form: Form) => CONDITION_FLAGS[form.cc >> 1] ?? 0;

const stack = (reads: Register[] = [], writes: Register[] = [], memoryRead = false, memoryWritten = false): Implicit => ({
  reads: [RSP, ...reads],
  writes: [RSP, ...writes],
  memoryRead,
  memoryWritten,
});

/** rep-prefixed string operations also count down rcx. */
const withRep = (ins: Instruction, base: Implicit): Implicit =>
  ins.prefixes.rep ? { ...base, reads: [...(base.reads ?? []), RCX], writes: [...(base.writes ?? []), RCX] } : base;

const ALU: Semantics = { roles: ["r", "rw"], flagsWritten: STATUS };
const ALU_CARRY: Semantics = { roles: ["r", "rw"], flagsRead: FLAGS.CF, flagsWritten: STATUS };
const COMPARE: Semantics = { roles: ["r", "r"], flagsWritten: STATUS };
const SHIFT: Semantics = { roles: (f) => (f.operands.length === 1 ? ["rw"] : ["r", "rw"]), flagsWritten: STATUS };
const ROTATE_CARRY: Semantics = { ...SHIFT, flagsRead: FLAGS.CF };
const BIT_SCAN: Semantics = { roles: ["r", "w"], flagsWritten: STATUS };
const MOVE: Semantics = { roles: ["r", "w"] };
const NOTHING: Semantics = { roles: [] };
const LOAD_TABLE: Semantics = { roles: ["r"] };
const STORE_TABLE: Semantics = { roles: ["w"] };

/** One-operand mul/imul/div/idiv: the accumulator pair is implicit. */
const wideArithmetic = (divide: boolean): Semantics => ({
  roles: ["r"],
  flagsWritten: STATUS,
  implicit: (form) =>
    form.opsize === 8
      ? { reads: [divide ? R("ax") : R("al")], writes: [R("ax")] }
      : {
          reads: divide ? [sized(0, form.opsize), sized(2, form.opsize)] : [sized(0, form.opsize)],
          writes: [sized(0, form.opsize), sized(2, form.opsize)],
        },
});

const SEMANTICS: Record<string, Semantics> = {
  add: ALU,
  or: ALU,
  and: ALU,
  sub: ALU,
  xor: ALU,
  adc: ALU_CARRY,
  sbb: ALU_CARRY,
  cmp: COMPARE,
  test: COMPARE,
  inc: { roles: ["rw"], flagsWritten: STATUS_NO_CF },
  dec: { roles: ["rw"], flagsWritten: STATUS_NO_CF },
  not: { roles: ["rw"] },
  neg: { roles: ["rw"], flagsWritten: STATUS },
  mul: wideArithmetic(false),
  div: wideArithmetic(true),
  idiv: wideArithmetic(true),
  // imul has three shapes under one key: one operand (rdx:rax), two (reg *= r/m), three.
  imul: {
    roles: (f) => (f.operands.length === 1 ? ["r"] : f.operands.length === 2 ? ["r", "rw"] : ["r", "r", "w"]),
    flagsWritten: STATUS,
    implicit: (form, ins) => (ins.operands.length === 1 ? wideArithmetic(false).implicit!(form, ins) : {}),
  },
  imul3: { roles: ["r", "rw"], flagsWritten: STATUS },
  rol: SHIFT,
  ror: SHIFT,
  shl: SHIFT,
  shr: SHIFT,
  sar: SHIFT,
  rcl: ROTATE_CARRY,
  rcr: ROTATE_CARRY,
  shld: { roles: ["r", "r", "rw"], flagsWritten: STATUS },
  shrd: { roles: ["r", "r", "rw"], flagsWritten: STATUS },
  bt: { roles: ["r", "r"], flagsWritten: FLAGS.CF },
  bts: { roles: ["r", "rw"], flagsWritten: FLAGS.CF },
  btr: { roles: ["r", "rw"], flagsWritten: FLAGS.CF },
  btc: { roles: ["r", "rw"], flagsWritten: FLAGS.CF },
  bsf: BIT_SCAN,
  bsr: BIT_SCAN,
  popcnt: BIT_SCAN,
  lzcnt: BIT_SCAN,
  tzcnt: BIT_SCAN,
  mov: MOVE,
  movabs: MOVE,
  movcr: MOVE,
  movdr: MOVE,
  movzx: MOVE,
  movsx: MOVE,
  lea: { roles: ["addr", "w"] },
  xchg: { roles: ["rw", "rw"] },
  push: { roles: ["r"], implicit: () => stack([], [], false, true) },
  pop: { roles: ["w"], implicit: () => stack([], [], true, false) },
  pushf: { roles: [], flagsRead: POPF_FLAGS, implicit: () => stack([], [], false, true) },
  popf: { roles: [], flagsWritten: POPF_FLAGS, implicit: () => stack([], [], true, false) },
  bswap: { roles: ["rw"] },
  // cbtw/cwtl/cltq: the accumulator doubles its width in place.
  cbw: { roles: [], implicit: (f) => ({ reads: [sized(0, f.opsize / 2)], writes: [sized(0, f.opsize)] }) },
  // cwtd/cltd/cqto: the accumulator's sign fills rdx.
  cwd: { roles: [], implicit: (f) => ({ reads: [sized(0, f.opsize)], writes: [sized(2, f.opsize)] }) },
  cmovcc: { roles: ["r", "rw"], flagsRead: conditionFlags },
  setcc: { roles: ["w"], flagsRead: conditionFlags },
  jcc: { roles: ["r"], flagsRead: conditionFlags },
  jmp: { roles: ["r"] },
  jrcxz: { roles: ["r"], implicit: () => ({ reads: [RCX] }) },
  call: { roles: ["r"], implicit: () => stack([], [], false, true) },
  ret: { roles: ["r"], implicit: () => stack([], [], true, false) },
  enter: { roles: ["r", "r"], implicit: () => stack([RBP], [RBP], true, true) },
  leave: { roles: [], implicit: () => stack([RBP], [RBP], true, false) },
  int3: NOTHING,
  int: { roles: ["r"] },
  ud2: NOTHING,
  // syscall saves rip in rcx and rflags in r11; sysret restores them.
  syscall: { roles: [], flagsRead: POPF_FLAGS, flagsWritten: POPF_FLAGS, implicit: () => ({ writes: [RCX, R11] }) },
  sysret: { roles: [], flagsWritten: POPF_FLAGS, implicit: () => ({ reads: [RCX, R11] }) },
  iret: { roles: [], flagsWritten: POPF_FLAGS, implicit: () => stack([], [], true, false) },
  cli: { roles: [], flagsWritten: FLAGS.IF },
  sti: { roles: [], flagsWritten: FLAGS.IF },
  hlt: NOTHING,
  pause: NOTHING,
  cpuid: { roles: [], implicit: () => ({ reads: [R("eax"), R("ecx")], writes: [R("eax"), R("ebx"), R("ecx"), R("edx")] }) },
  rdtsc: { roles: [], implicit: () => ({ writes: [R("eax"), R("edx")] }) },
  rdmsr: { roles: [], implicit: () => ({ reads: [R("ecx")], writes: [R("eax"), R("edx")] }) },
  wrmsr: { roles: [], implicit: () => ({ reads: [R("ecx"), R("eax"), R("edx")] }) },
  rdpmc: { roles: [], implicit: () => ({ reads: [R("ecx")], writes: [R("eax"), R("edx")] }) },
  wbinvd: NOTHING,
  invlpg: { roles: ["addr"] },
  // swapgs exchanges the hidden GS base with an MSR; the gs register itself is unchanged.
  swapgs: NOTHING,
  clac: { roles: [], flagsWritten: FLAGS.AC },
  stac: { roles: [], flagsWritten: FLAGS.AC },
  clts: { roles: [], implicit: () => ({ reads: [R("cr0")], writes: [R("cr0")] }) },
  lgdt: LOAD_TABLE,
  lidt: LOAD_TABLE,
  sgdt: STORE_TABLE,
  sidt: STORE_TABLE,
  ltr: LOAD_TABLE,
  lldt: LOAD_TABLE,
  str: STORE_TABLE,
  sldt: STORE_TABLE,
  lfence: NOTHING,
  mfence: NOTHING,
  sfence: NOTHING,
  clc: { roles: [], flagsWritten: FLAGS.CF },
  stc: { roles: [], flagsWritten: FLAGS.CF },
  cmc: { roles: [], flagsRead: FLAGS.CF, flagsWritten: FLAGS.CF },
  cld: { roles: [], flagsWritten: FLAGS.DF },
  std: { roles: [], flagsWritten: FLAGS.DF },
  endbr64: NOTHING,
  movs: {
    roles: [],
    flagsRead: FLAGS.DF,
    implicit: (_, ins) => withRep(ins, { reads: [R("rsi"), R("rdi")], writes: [R("rsi"), R("rdi")], memoryRead: true, memoryWritten: true }),
  },
  stos: {
    roles: [],
    flagsRead: FLAGS.DF,
    implicit: (f, ins) => withRep(ins, { reads: [sized(0, f.opsize), R("rdi")], writes: [R("rdi")], memoryWritten: true }),
  },
  lods: {
    roles: [],
    flagsRead: FLAGS.DF,
    implicit: (f, ins) => withRep(ins, { reads: [R("rsi")], writes: [sized(0, f.opsize), R("rsi")], memoryRead: true }),
  },
  cmpxchg: {
    roles: ["r", "rw"],
    flagsWritten: STATUS,
    implicit: (f) => ({ reads: [sized(0, f.opsize)], writes: [sized(0, f.opsize)] }),
  },
  xadd: { roles: ["rw", "rw"], flagsWritten: STATUS },
  // cmpxchg8b compares edx:eax and stores ecx:ebx; cmpxchg16b the 64-bit pairs.
  cmpxchg8b: {
    roles: ["rw"],
    flagsWritten: FLAGS.ZF,
    implicit: () => ({ reads: [R("eax"), R("edx"), R("ebx"), R("ecx")], writes: [R("eax"), R("edx")] }),
  },
  cmpxchg16b: {
    roles: ["rw"],
    flagsWritten: FLAGS.ZF,
    implicit: () => ({ reads: [R("rax"), R("rdx"), R("rbx"), R("rcx")], writes: [R("rax"), R("rdx")] }),
  },
  nop: { roles: (f) => f.operands.map(() => "none" as const) },
};

/** True when effects.ts knows a semantics key; a table row with an unknown `sem` needs an entry here. */
export function hasEffects(sem: string): boolean {
  return Object.hasOwn(SEMANTICS, sem);
}

function writeOf(reg: Register): RegisterWrite {
  if (!isGpr(reg)) return { reg, full: reg, kind: "full" };
  return { reg, full: fullRegister(reg), kind: reg.bits === 64 ? "full" : reg.bits === 32 ? "zero-extend" : "merge" };
}

function addressRegisters(m: MemoryOperand): Register[] {
  const regs: Register[] = [];
  if (m.seg) regs.push(m.seg);
  if (m.base && m.base.cls !== "rip") regs.push(m.base);
  if (m.index) regs.push(m.index);
  return regs;
}

/**
 * The effects of one instruction. A `sem` effects.ts does not know (a new table row) is treated
 * conservatively: every operand read, the last one written, every status flag written.
 */
export function effectsOf(ins: Instruction): Effects {
  const sem = SEMANTICS[ins.form.sem];
  const roles: readonly Role[] = sem
    ? typeof sem.roles === "function"
      ? sem.roles(ins.form)
      : sem.roles
    : ins.operands.map((_, i) => (i === ins.operands.length - 1 ? "rw" : "r"));
  const reads: Register[] = [];
  const writes: RegisterWrite[] = [];
  let memoryRead = false;
  let memoryWritten = false;
  ins.operands.forEach((op: Operand, i) => {
    const role = roles[i] ?? "r";
    if (role === "none") return;
    if (op.kind === "reg") {
      if (role === "r" || role === "rw") reads.push(op.reg);
      if (role === "w" || role === "rw") writes.push(writeOf(op.reg));
    } else if (op.kind === "mem") {
      reads.push(...addressRegisters(op));
      if (role === "r" || role === "rw") memoryRead = true;
      if (role === "w" || role === "rw") memoryWritten = true;
    }
  });
  const implicit = sem?.implicit?.(ins.form, ins) ?? {};
  reads.push(...(implicit.reads ?? []));
  writes.push(...(implicit.writes ?? []).map(writeOf));
  const flagsRead = sem ? (typeof sem.flagsRead === "function" ? sem.flagsRead(ins.form) : (sem.flagsRead ?? 0)) : 0;
  return {
    reads: unique(reads),
    writes: uniqueWrites(writes),
    flagsRead,
    flagsWritten: sem ? (sem.flagsWritten ?? 0) : STATUS,
    memoryRead: memoryRead || Boolean(implicit.memoryRead),
    memoryWritten: memoryWritten || Boolean(implicit.memoryWritten),
  };
}

function unique(regs: Register[]): Register[] {
  return [...new Set(regs)];
}

function uniqueWrites(writes: RegisterWrite[]): RegisterWrite[] {
  const seen = new Set<Register>();
  return writes.filter((w) => !seen.has(w.reg) && (seen.add(w.reg), true));
}

/** The architectural registers an instruction changes (rax for a write of %al), without duplicates. */
export function changedRegisters(ins: Instruction): Register[] {
  return unique(effectsOf(ins).writes.map((w) => w.full));
}
