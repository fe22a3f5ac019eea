/**
 * The x86-64 register file as the assembler, decoder, printer and emulator name it.
 *
 * A register is identified by its class and its 4-bit hardware number. `num` is what goes
 * into ModRM/SIB/opcode bits (low 3) and REX (bit 3). Byte registers come in two disjoint
 * families: the legacy high bytes ah/ch/dh/bh (numbers 4-7 without REX) and the REX-only
 * low bytes spl/bpl/sil/dil; an instruction may not mix them.
 */

export type RegisterClass =
  | "gpr8" // al..r15b, including the REX-only spl/bpl/sil/dil
  | "gpr8h" // ah ch dh bh: only encodable without a REX prefix
  | "gpr16"
  | "gpr32"
  | "gpr64"
  | "seg" // es cs ss ds fs gs
  | "cr" // cr0..cr15 (only 0 2 3 4 8 exist)
  | "dr" // db0..db7 (objdump spells them %db0; as accepts %dr0 too)
  | "rip"; // only as a memory base

export interface Register {
  /** Canonical AT&T spelling without the `%`, as objdump prints it. */
  readonly name: string;
  readonly cls: RegisterClass;
  /** Hardware number 0-15. For gpr8h it is 4-7 (the ModRM value). */
  readonly num: number;
  /** Width in bits. */
  readonly bits: 8 | 16 | 32 | 64;
  /** True when encoding it requires a REX prefix (r8-r15 and spl/bpl/sil/dil). */
  readonly needsRex: boolean;
}

const GPR64 = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi"];
const GPR32 = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];
const GPR16 = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di"];
const GPR8 = ["al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil"];
const GPR8H = ["ah", "ch", "dh", "bh"];
const SEG = ["es", "cs", "ss", "ds", "fs", "gs"];

function build(): Register[] {
  const regs: Register[] = [];
  const add = (name: string, cls: RegisterClass, num: number, bits: Register["bits"], needsRex: boolean) =>
    regs.push({ name, cls, num, bits, needsRex });
  for (let n = 0; n < 16; n++) {
    const hi = n >= 8;
    add(hi ? `r${n}` : GPR64[n]!, "gpr64", n, 64, hi);
    add(hi ? `r${n}d` : GPR32[n]!, "gpr32", n, 32, hi);
    add(hi ? `r${n}w` : GPR16[n]!, "gpr16", n, 16, hi);
    add(hi ? `r${n}b` : GPR8[n]!, "gpr8", n, 8, hi || (n >= 4 && n <= 7));
  }
  GPR8H.forEach((name, i) => add(name, "gpr8h", i + 4, 8, false));
  SEG.forEach((name, i) => add(name, "seg", i, 16, false));
  for (let n = 0; n < 16; n++) add(`cr${n}`, "cr", n, 64, n >= 8);
  for (let n = 0; n < 8; n++) add(`db${n}`, "dr", n, 64, false);
  add("rip", "rip", 0, 64, false);
  add("eip", "rip", 0, 32, false);
  return regs;
}

export const REGISTERS: readonly Register[] = build();

const byName = new Map<string, Register>();
for (const r of REGISTERS) byName.set(r.name, r);
// Spellings GNU as accepts besides the canonical ones.
for (let n = 0; n < 8; n++) byName.set(`dr${n}`, byName.get(`db${n}`)!);

/**
 * DWARF register numbers of the x86-64 psABI, by the names as accepts in CFI directives: the
 * register table's general registers and those of the instruction sets it leaves out.
 */
export const DWARF_REGISTER_NUMBERS: ReadonlyMap<string, number> = new Map([
  ...["rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp"].map((name, i) => [name, i] as const),
  ...range(8, 16).map((i) => [`r${i}`, i] as const),
  ["rip", 16],
  ...range(0, 16).map((i) => [`xmm${i}`, 17 + i] as const),
  ["st", 33],
  ...range(0, 8).map((i) => [`st${i}`, 33 + i] as const),
  ...range(0, 8).map((i) => [`mm${i}`, 41 + i] as const),
  ["rflags", 49],
  ["eflags", 49],
  ...["es", "cs", "ss", "ds", "fs", "gs"].map((name, i) => [name, 50 + i] as const),
  ["fs.base", 58],
  ["gs.base", 59],
  ["tr", 62],
  ["ldtr", 63],
  ["mxcsr", 64],
  ["fcw", 65],
  ["fsw", 66],
  ...range(16, 32).map((i) => [`xmm${i}`, 67 + i - 16] as const),
  ...range(0, 8).map((i) => [`k${i}`, 118 + i] as const),
]);

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** Registers of SSE, AVX, MMX, x87 and AVX-512 masks: instruction sets the table leaves out. */
const UNCOVERED_REGISTER = /^(?:[xyz]mm(?:[12]?\d|3[01])|mm[0-7]|st(?:\([0-7]\))?|k[0-7])$/;

/** Whether `name` (without `%`) is a register of an instruction set the table leaves out. */
export function isUncoveredRegister(name: string): boolean {
  return UNCOVERED_REGISTER.test(name.toLowerCase());
}

/** Looks a register up by its AT&T name without `%` (case-insensitive), or undefined. */
export function registerByName(name: string): Register | undefined {
  return byName.get(name.toLowerCase());
}

const byClassNum = new Map<string, Register>();
for (const r of REGISTERS) {
  const key = `${r.cls}:${r.num}`;
  if (!byClassNum.has(key)) byClassNum.set(key, r);
}

/** The register of a class with a hardware number; for 8-bit numbers 4-7, `rex` picks spl.. over ah... */
export function registerOf(cls: RegisterClass, num: number): Register {
  const r = byClassNum.get(`${cls}:${num}`);
  if (!r) throw new Error(`no register ${cls}:${num}`);
  return r;
}

/** The general register of a width and number: gpr(64, 0) is rax; gpr(8, 4, false) is ah. */
export function gpr(bits: 8 | 16 | 32 | 64, num: number, rex = true): Register {
  if (bits === 8 && !rex && num >= 4 && num <= 7) return registerOf("gpr8h", num);
  return registerOf(bits === 8 ? "gpr8" : bits === 16 ? "gpr16" : bits === 32 ? "gpr32" : "gpr64", num);
}

export function isGpr(r: Register): boolean {
  return r.cls === "gpr8" || r.cls === "gpr8h" || r.cls === "gpr16" || r.cls === "gpr32" || r.cls === "gpr64";
}

/** The 64-bit register a general register is part of (al, ax, eax -> rax; ah -> rax). */
export function fullRegister(r: Register): Register {
  if (r.cls === "gpr8h") return registerOf("gpr64", r.num - 4);
  return isGpr(r) ? registerOf("gpr64", r.num) : r;
}
