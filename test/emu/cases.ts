/**
 * Differential cases: one instruction of a given table form, with random operands and a
 * random machine state biased to edge values, laid out for the native harness. The state is
 * arranged so that memory operands usually land in the data window (sometimes on the
 * read-only page or nowhere, to compare faults), branches have somewhere to go, and the stack
 * holds what ret, pop, popf and leave need.
 */
import { encodeInstruction, isEncodeError } from "../../src/x86/encode.js";
import type { Instruction, MemoryOperand, Operand } from "../../src/x86/instruction.js";
import { gpr, registerByName, type Register } from "../../src/x86/registers.js";
import type { Form, OperandType } from "../../src/x86/table.js";
import { CODE_BASE, CODE_MAX, DATA_BASE, DATA_WINDOW, READ_ONLY_PAGE, STACK_WINDOW, WINDOW, type Snippet } from "./native.js";

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export class Rng {
  constructor(private state: number) {}
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  int(n: number): number {
    return this.next() % n;
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }
  chance(p: number): boolean {
    return this.next() / 4294967296 < p;
  }
  u64(): bigint {
    return (BigInt(this.next()) << 32n) | BigInt(this.next());
  }
  bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => (this.chance(0.3) ? this.pick([0, 0xff, 0x80, 0x7f, 1]) : this.int(256)));
  }
}

const EDGES = [
  0n, 1n, 2n, 0x7fn, 0x80n, 0xffn, 0x100n, 0x7fffn, 0x8000n, 0xffffn, 0x10000n, 0x7fffffffn, 0x80000000n, 0xffffffffn,
  0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 0xfffffffffffffffen, 0x8000000000000001n,
];
const COUNTS = [0n, 1n, 2n, 7n, 8n, 9n, 15n, 16n, 17n, 31n, 32n, 33n, 63n, 64n, 65n, 255n];

/** A value biased to the edges: 0, 1, -1, sign boundaries, and their neighbours. */
export function edgeValue(rng: Rng): bigint {
  const r = rng.int(10);
  if (r < 5) return rng.pick(EDGES);
  if (r < 6) return rng.pick(COUNTS);
  if (r < 7) return BigInt.asUintN(64, -BigInt(rng.int(300)));
  return rng.u64();
}

const ARITH_FLAGS = [0x1, 0x4, 0x10, 0x40, 0x80, 0x800];

export function randomFlags(rng: Rng): bigint {
  let f = 0x202;
  for (const bit of ARITH_FLAGS) if (rng.chance(0.5)) f |= bit;
  if (rng.chance(0.15)) f |= 0x400;
  return BigInt(f);
}

const GPR_BITS = [8, 16, 32, 64] as const;

function randomGpr(rng: Rng, bits: number): Register {
  if (bits === 8 && rng.chance(0.2)) return registerByName(rng.pick(["ah", "ch", "dh", "bh"]))!;
  return gpr(bits as (typeof GPR_BITS)[number], rng.int(16));
}

/**
 * Sems the differential suite leaves out: they reach the kernel (syscall, int), read what
 * differs between this CPU and the emulated one by design (cpuid, rdtsc, rdpmc, and the host
 * kernel's descriptor-table registers: sgdt, sidt, str, sldt run natively at CPL 3 here), or
 * return to user space with a frame the harness cannot build (iret). Unit tests cover them.
 */
export const NOT_NATIVE = new Set(["syscall", "int", "iret", "cpuid", "rdtsc", "rdpmc", "sgdt", "sidt", "str", "sldt"]);

export interface Case {
  readonly snippet: Snippet;
  readonly instruction: Instruction;
  readonly text: string;
}

interface Layout {
  regs: bigint[];
  /** Registers whose value the layout fixed (addresses, counts); random values must not overwrite them. */
  fixed: Set<number>;
  data: Uint8Array;
  stack: Uint8Array;
}

const setReg = (l: Layout, n: number, v: bigint) => {
  l.regs[n] = BigInt.asUintN(64, v);
  l.fixed.add(n);
};

function putQword(buf: Uint8Array, offset: number, v: bigint): void {
  new DataView(buf.buffer, buf.byteOffset).setBigUint64(offset, BigInt.asUintN(64, v), true);
}

/** A memory operand whose address the layout makes land mostly in the data window. */
function memoryOperand(rng: Rng, l: Layout, avoid: Set<number>): { op: MemoryOperand; target: bigint } {
  const r = rng.int(100);
  const target =
    r < 80
      ? DATA_WINDOW + BigInt(rng.int(WINDOW - 16))
      : r < 90
        ? READ_ONLY_PAGE - BigInt(rng.int(12))
        : r < 95
          ? READ_ONLY_PAGE + 0x1000n + BigInt(rng.int(64))
          : rng.chance(0.5)
            ? 0x8000000000000000n
            : DATA_BASE - 8n;
  const choices = [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15].filter((n) => !avoid.has(n) && !l.fixed.has(n));
  const baseNum = rng.pick(choices);
  const base = gpr(64, baseNum);
  const disp = rng.chance(0.4) ? 0n : BigInt(rng.int(256) - 128) * (rng.chance(0.2) ? 1000n : 1n);
  let index: Register | undefined;
  let scale: 1 | 2 | 4 | 8 = 1;
  let indexValue = 0n;
  const indexChoices = choices.filter((n) => n !== baseNum);
  if (rng.chance(0.3) && indexChoices.length) {
    const n = rng.pick(indexChoices);
    index = gpr(64, n);
    scale = rng.pick([1, 2, 4, 8] as const);
    indexValue = BigInt(rng.int(16)) - 4n;
    setReg(l, n, indexValue);
  }
  setReg(l, baseNum, target - disp - indexValue * BigInt(scale));
  return { op: { kind: "mem", base, index, scale, disp }, target };
}

/** Builds one case of `form`, or undefined when this draw cannot be encoded (the caller draws again). */
export function formCase(form: Form, rng: Rng): Case | undefined {
  const l: Layout = { regs: Array.from({ length: 16 }, () => edgeValue(rng)), fixed: new Set([4]), data: rng.bytes(WINDOW), stack: rng.bytes(WINDOW) };
  const rsp = STACK_WINDOW + 256n - 8n * BigInt(rng.int(8));
  l.regs[4] = rsp;
  const sem = form.sem;
  // Implicit operands that must hold sensible values.
  if (sem === "leave" || sem === "enter") setReg(l, 5, STACK_WINDOW + 320n + 8n * BigInt(rng.int(8)));
  if (sem === "movs" || sem === "stos" || sem === "lods") {
    setReg(l, 6, DATA_WINDOW + 64n + BigInt(rng.int(WINDOW - 128)));
    setReg(l, 7, DATA_WINDOW + 64n + BigInt(rng.int(WINDOW - 128)));
    setReg(l, 1, BigInt(rng.int(7)));
  }
  if ((sem === "div" || sem === "idiv") && rng.chance(0.6)) setReg(l, 2, sem === "idiv" && rng.chance(0.5) ? -1n : 0n);
  const avoid = new Set<number>();
  if (form.operands.some((t) => t.t === "fixed" && t.reg.name === "cl") || (sem === "shld" || sem === "shrd")) {
    setReg(l, 1, rng.pick(COUNTS));
  }

  const operands: Operand[] = [];
  let rel = -1;
  let memTarget: bigint | undefined;
  let ripRelative: MemoryOperand | undefined;
  for (let i = 0; i < form.operands.length; i++) {
    const t: OperandType = form.operands[i]!;
    switch (t.t) {
      case "reg":
      case "opreg":
      case "rmreg":
        operands.push({ kind: "reg", reg: randomGpr(rng, t.bits || 64) });
        break;
      case "rm":
      case "mem":
        if (t.t === "rm" && rng.chance(0.55)) {
          operands.push({ kind: "reg", reg: randomGpr(rng, t.bits || form.opsize || 64) });
          break;
        }
        if (rng.chance(0.08) && sem !== "bt" && sem !== "bts" && sem !== "btr" && sem !== "btc") {
          ripRelative = { kind: "mem", base: registerByName("rip")!, scale: 1, disp: 0n };
          operands.push(ripRelative);
        } else {
          const m = memoryOperand(rng, l, avoid);
          memTarget = m.target;
          operands.push(m.op);
        }
        break;
      case "moffs":
        memTarget = DATA_WINDOW + BigInt(rng.int(WINDOW - 16));
        operands.push({ kind: "mem", scale: 1, disp: memTarget });
        break;
      case "fixed":
        operands.push({ kind: "reg", reg: t.reg });
        break;
      case "imm":
        operands.push({ kind: "imm", value: BigInt.asIntN(t.bits, rng.chance(0.3) ? rng.pick(COUNTS) : edgeValue(rng)) });
        break;
      case "one":
        operands.push({ kind: "imm", value: 1n });
        break;
      case "rel":
        rel = i;
        operands.push({ kind: "rel", target: CODE_BASE });
        break;
      case "creg":
        operands.push({ kind: "reg", reg: registerByName(`cr${rng.pick([0, 2, 3, 4, 8])}`)! });
        break;
      case "dreg":
        operands.push({ kind: "reg", reg: registerByName(`db${rng.int(8)}`)! });
        break;
    }
  }
  if (sem === "enter") operands[1] = { kind: "imm", value: BigInt(rng.pick([0, 0, 1, 2, 3, 33])) };
  if (sem === "ret" && operands.length) operands[0] = { kind: "imm", value: BigInt(rng.int(5) * 8) };
  // 16-bit shld/shrd with a count above 16 has an undefined result: draw again.
  if ((sem === "shld" || sem === "shrd") && form.opsize === 16) {
    const count = operands[0]!.kind === "imm" ? (operands[0] as { value: bigint }).value : l.regs[1]!;
    if ((BigInt.asUintN(8, count) & 31n) > 16n) return undefined;
  }
  const lastIsMemory = operands[operands.length - 1]?.kind === "mem";
  const prefixes = {
    lock: form.lockable && lastIsMemory && rng.chance(0.3) ? true : undefined,
    rep: form.repable && rng.chance(0.5) ? ("rep" as const) : undefined,
  };
  let instruction: Instruction = { form, operands, prefixes };
  let first = encodeInstruction(instruction, CODE_BASE);
  if (isEncodeError(first)) return undefined;
  const length = BigInt(first.bytes.length);
  // Branches skip a 6-byte filler (mov $imm32, %r15d) when taken; calls land after it too.
  const filler = Uint8Array.of(0x41, 0xbf, ...rng.bytes(4));
  const end = CODE_BASE + length + (rel >= 0 ? 6n : 0n);
  if (rel >= 0) {
    operands[rel] = { kind: "rel", target: end };
    instruction = { form, operands, prefixes };
  }
  if (ripRelative) {
    const i = operands.indexOf(ripRelative);
    memTarget = CODE_BASE + 0x800n + BigInt(rng.int(256));
    operands[i] = { ...ripRelative, disp: memTarget - (CODE_BASE + length) };
    instruction = { form, operands, prefixes };
  }
  first = encodeInstruction(instruction, CODE_BASE);
  if (isEncodeError(first) || BigInt(first.bytes.length) !== length) return undefined;
  // Indirect branches and returns go to the end of the snippet.
  const stackSlot = Number(rsp - STACK_WINDOW);
  if (sem === "ret") putQword(l.stack, stackSlot, end);
  if (sem === "popf") putQword(l.stack, stackSlot, BigInt(Number(rng.u64() & 0xffffffffn) & ~0x100));
  if ((sem === "jmp" || sem === "call") && rel < 0) {
    const o = operands[0]!;
    if (o.kind === "reg") l.regs[o.reg.num] = end;
    else if (memTarget !== undefined && memTarget >= DATA_WINDOW && memTarget < DATA_WINDOW + BigInt(WINDOW) - 8n) putQword(l.data, Number(memTarget - DATA_WINDOW), end);
  }
  const code = rel >= 0 ? Uint8Array.from([...first.bytes, ...filler]) : first.bytes;
  if (code.length > CODE_MAX) return undefined;
  return {
    snippet: { code, regs: l.regs, rflags: randomFlags(rng), data: l.data, stack: l.stack },
    instruction,
    text: form.row,
  };
}

/**
 * Flags the SDM leaves undefined after this instruction from this state (one instruction,
 * so the count operands are known); the comparison masks them out.
 */
export function undefinedFlags(insn: Instruction, regs: readonly bigint[]): number {
  const CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
  const form = insn.form;
  const s = form.opsize;
  const count = () => {
    const n = insn.operands.length;
    const o = n === 1 ? undefined : insn.operands[0]!;
    const raw = o === undefined ? 1n : o.kind === "imm" ? o.value : regs[1]!;
    return Number(BigInt.asUintN(8, raw)) & (s === 64 ? 63 : 31);
  };
  switch (form.sem) {
    case "and":
    case "or":
    case "xor":
    case "test":
      return AF;
    case "mul":
    case "imul":
      return SF | ZF | AF | PF;
    case "div":
    case "idiv":
      return CF | OF | SF | ZF | AF | PF;
    case "shl":
    case "shr":
    case "sar": {
      const c = count();
      if (c === 0) return 0;
      return AF | (c !== 1 ? OF : 0) | (c >= s && form.sem !== "sar" ? CF : 0);
    }
    case "rol":
    case "ror":
    case "rcl":
    case "rcr":
      return count() > 1 ? OF : 0;
    case "shld":
    case "shrd": {
      const c = count();
      if (c === 0) return 0;
      return AF | (c !== 1 ? OF : 0);
    }
    case "bt":
    case "bts":
    case "btr":
    case "btc":
      return OF | SF | AF | PF;
    case "bsf":
    case "bsr":
      return CF | OF | SF | AF | PF;
    case "lzcnt":
    case "tzcnt":
      return OF | SF | AF | PF;
  }
  return 0;
}
