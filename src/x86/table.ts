/**
 * THE instruction table. Every instruction pvopc knows is one row here; the AT&T parser's
 * operand matching, the encoder, the decoder's lookup maps, the printer and the emulator's
 * dispatch are all derived from these rows. Adding an instruction is one row (and, if its
 * behaviour is new, one semantics function keyed by `sem`).
 *
 * Row syntax (one string per row):
 *
 *     MNEMONIC  OPERANDS  ENCODING...  [ATTRIBUTES...]
 *
 * - MNEMONIC: the base AT&T mnemonic. Spellings accepted by the assembler are the base and the
 *   base plus the size suffix of each concrete size (b/w/l/q), unless `spell=a/b/c` names them.
 *   The printer uses `print=` (default: the base, plus suffix when objdump would show one).
 * - OPERANDS: comma separated, AT&T order (source first), `-` for none. Operand codes follow
 *   the Intel/kernel opcode-map letters, with the size letter b w d q, or v for the operand
 *   size of the row (expanded to 16, 32 and 64 bit rows, see `sizes=`):
 *     G  general register in ModRM.reg        E  register or memory in ModRM.rm
 *     M  memory in ModRM.rm (M alone: unsized) R  register in ModRM.rm (mod = 3)
 *     Z  register in the low 3 opcode bits    I  immediate (Iz: 16 bits for w, else 32)
 *     sI sign-extended immediate (sIb: imm8, sIz: imm32 extended to 64)
 *     J  relative branch target (Jb rel8, Jz rel32)   O  absolute 64-bit address (movabs)
 *     C  control register in ModRM.reg         D  debug register in ModRM.reg
 *     AL rAX CL  fixed registers (rAX: accumulator of the row's size)   1 3  literal $1, $3
 *     *Ev  indirect branch target (AT&T `*`)
 * - ENCODING: hex opcode bytes (mandatory prefixes included, e.g. `f3 0f b8`), then `/r`,
 *   `/0`-`/7`, or `/xx` for a fixed ModRM byte; `+r` adds the Z register to the last opcode
 *   byte; `ib iw id iz io` name the immediate, `cb cd` the branch displacement.
 * - ATTRIBUTES: `sizes=16,32,64` (for v rows; default all three), `d64` (64-bit by default,
 *   no REX.W: push, pop, near branches), `lock` (accepts the lock prefix on a memory
 *   destination), `rep` (accepts rep), `alias` (assembler only: an alternative spelling of a
 *   row the decoder already owns), `sem=KEY` (emulator semantics; default the mnemonic),
 *   `cc=N` (condition code for jcc/setcc/cmovcc rows), `spell=a/b` or `spellNN=a/b` (the
 *   spellings of every size, or of size NN), `print=...`. `sizes=0` keeps a sized operand
 *   (ltr's Ew) from implying an operand-size prefix or suffix. `show=X,Y` lists operands the
 *   disassembler prints although the encoding implies them (string instructions): X is
 *   %ds:(%rsi), Y is %es:(%rdi), AL/rAX the accumulator.
 * - A /r row with a G operand but no E/M/R operand (the two-operand `imul $imm, %reg`) encodes
 *   the register in both ModRM fields.
 *
 * Row order is preference order: when several rows match an assembler statement the first
 * one wins, which is how GNU as picks among equivalent encodings (e.g. `01 /r` over `03 /r`
 * for a register pair, `83 /0 ib` before the accumulator form before `81 /0 id`).
 */
import { registerByName, type Register } from "./registers.js";

export type OperandSize = 0 | 8 | 16 | 32 | 64 | 128;

export type OperandType =
  | { readonly t: "reg"; readonly bits: OperandSize } // G
  | { readonly t: "rm"; readonly bits: OperandSize } // E
  | { readonly t: "mem"; readonly bits: OperandSize } // M
  | { readonly t: "rmreg"; readonly bits: OperandSize } // R
  | { readonly t: "opreg"; readonly bits: OperandSize } // Z
  | { readonly t: "fixed"; readonly reg: Register } // AL, rAX, CL
  | { readonly t: "imm"; readonly bits: 8 | 16 | 32 | 64; readonly signExtended: boolean } // I, sI
  | { readonly t: "one"; readonly value: 1 | 3 } // a literal immediate: $1 (shifts) or $3 (int $3)
  | { readonly t: "rel"; readonly bits: 8 | 32 } // J
  | { readonly t: "moffs"; readonly bits: OperandSize } // O
  | { readonly t: "creg" } // C
  | { readonly t: "dreg" }; // D

/** An operand the disassembler shows but the encoding implies (`show=`). */
export type ShownOperand =
  | { readonly t: "fixed"; readonly reg: Register } // AL, rAX
  | { readonly t: "strsrc" } // X: %ds:(%rsi)
  | { readonly t: "strdst" }; // Y: %es:(%rdi)

export type ModRM =
  | { readonly kind: "none" }
  | { readonly kind: "r" }
  | { readonly kind: "digit"; readonly digit: number }
  | { readonly kind: "fixed"; readonly byte: number };

export interface Form {
  /** Index in FORMS. */
  readonly id: number;
  /** Base mnemonic as written in the row. */
  readonly mnemonic: string;
  /** Every assembler spelling of this concrete form. */
  readonly spellings: readonly string[];
  /** The mnemonic objdump prints when no register operand shows the size. */
  readonly printSized: string;
  /** The mnemonic objdump prints when a register operand shows the size. */
  readonly printBare: string;
  /** Operands in AT&T order. */
  readonly operands: readonly OperandType[];
  /** True when the single branch/call operand is written with `*`. */
  readonly indirect: boolean;
  /** Operand size in bits (0 when the row has no sized operand). */
  readonly opsize: OperandSize;
  /** Mandatory prefixes (66, f2, f3) that precede REX, in order. */
  readonly mandatoryPrefixes: readonly number[];
  /** Operand-size prefix 66 required (16-bit operand size, not mandatory-prefix rows). */
  readonly opsizePrefix: boolean;
  /** REX.W required. */
  readonly rexW: boolean;
  /** Opcode bytes after the prefixes (with the +r register 0). */
  readonly opcode: readonly number[];
  readonly modrm: ModRM;
  /** Register encoded in the low 3 bits of the last opcode byte. */
  readonly plusReg: boolean;
  /** Immediates in encoding order (enter has two). */
  readonly immediates: readonly (8 | 16 | 32 | 64)[];
  readonly lockable: boolean;
  readonly repable: boolean;
  /** Assembler-only alternative; the decoder ignores it. */
  readonly alias: boolean;
  /** 64-bit operand size by default (no REX.W needed). */
  readonly default64: boolean;
  /** Semantics key for the emulator. */
  readonly sem: string;
  /** Condition code 0-15 for jcc/setcc/cmovcc, else -1. */
  readonly cc: number;
  /** Implied operands the disassembler prints, in AT&T order (`show=`). */
  readonly shown: readonly ShownOperand[];
  /** The source row, for messages and debugging. */
  readonly row: string;
}

/** Condition codes in hardware order, with the spelling objdump prints first. */
export const CONDITIONS: readonly (readonly string[])[] = [
  ["o"],
  ["no"],
  ["b", "c", "nae"],
  ["ae", "nb", "nc"],
  ["e", "z"],
  ["ne", "nz"],
  ["be", "na"],
  ["a", "nbe"],
  ["s"],
  ["ns"],
  ["p", "pe"],
  ["np", "po"],
  ["l", "nge"],
  ["ge", "nl"],
  ["le", "ng"],
  ["g", "nle"],
];

const ALU = ["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"];
const SHIFTS: [string, number][] = [
  ["rol", 0],
  ["ror", 1],
  ["rcl", 2],
  ["rcr", 3],
  ["shl", 4],
  ["shr", 5],
  ["sar", 7],
];
const UNARY: [string, number][] = [
  ["not", 2],
  ["neg", 3],
  ["mul", 4],
  ["imul", 5],
  ["div", 6],
  ["idiv", 7],
];

const hex = (n: number) => n.toString(16).padStart(2, "0");

function rows(): string[] {
  const r: string[] = [];
  const LOCK = (m: string) => (m === "cmp" ? "" : " lock");

  ALU.forEach((m, n) => {
    const b = n * 8;
    r.push(
      `${m} Gb,Eb ${hex(b)} /r${LOCK(m)}`,
      `${m} Gv,Ev ${hex(b + 1)} /r${LOCK(m)}`,
      `${m} Eb,Gb ${hex(b + 2)} /r`,
      `${m} Ev,Gv ${hex(b + 3)} /r`,
      `${m} sIb,Ev 83 /${n} ib${LOCK(m)}`,
      `${m} Ib,AL ${hex(b + 4)} ib`,
      `${m} Iz,rAX ${hex(b + 5)} iz`,
      `${m} Ib,Eb 80 /${n} ib${LOCK(m)}`,
      `${m} Iz,Ev 81 /${n} iz${LOCK(m)}`,
    );
  });

  r.push(
    "test Gb,Eb 84 /r",
    "test Gv,Ev 85 /r",
    "test Eb,Gb 84 /r alias",
    "test Ev,Gv 85 /r alias",
    "test Ib,AL a8 ib",
    "test Iz,rAX a9 iz",
    "test Ib,Eb f6 /0 ib",
    "test Iz,Ev f7 /0 iz",
    "inc Eb fe /0 lock",
    "inc Ev ff /0 lock",
    "dec Eb fe /1 lock",
    "dec Ev ff /1 lock",
  );
  for (const [m, d] of UNARY) {
    const lock = m === "not" || m === "neg" ? " lock" : "";
    r.push(`${m} Eb f6 /${d}${lock}`, `${m} Ev f7 /${d}${lock}`);
  }
  r.push(
    "imul Ev,Gv 0f af /r",
    "imul sIb,Ev,Gv 6b /r ib",
    "imul Iz,Ev,Gv 69 /r iz",
    "imul sIb,Gv 6b /r ib alias sem=imul3",
    "imul Iz,Gv 69 /r iz alias sem=imul3",
  );
  for (const [m, d] of SHIFTS) {
    r.push(
      `${m} Eb d0 /${d}`,
      `${m} 1,Eb d0 /${d} alias`,
      `${m} CL,Eb d2 /${d}`,
      `${m} Ib,Eb c0 /${d} ib`,
      `${m} Ev d1 /${d}`,
      `${m} 1,Ev d1 /${d} alias`,
      `${m} CL,Ev d3 /${d}`,
      `${m} Ib,Ev c1 /${d} ib`,
    );
  }
  // sal is shl's other name; the decoder prints shl, and /6 is the undocumented sal alias.
  r.push(
    "sal Eb d0 /4 alias sem=shl",
    "sal 1,Eb d0 /4 alias sem=shl",
    "sal CL,Eb d2 /4 alias sem=shl",
    "sal Ib,Eb c0 /4 ib alias sem=shl",
    "sal Ev d1 /4 alias sem=shl",
    "sal 1,Ev d1 /4 alias sem=shl",
    "sal CL,Ev d3 /4 alias sem=shl",
    "sal Ib,Ev c1 /4 ib alias sem=shl",
    "shld Ib,Gv,Ev 0f a4 /r ib",
    "shld CL,Gv,Ev 0f a5 /r",
    "shrd Ib,Gv,Ev 0f ac /r ib",
    "shrd CL,Gv,Ev 0f ad /r",
  );
  (
    [
      ["bt", 0xa3, 4],
      ["bts", 0xab, 5],
      ["btr", 0xb3, 6],
      ["btc", 0xbb, 7],
    ] as const
  ).forEach(([m, op, d]) => {
    const lock = m === "bt" ? "" : " lock";
    r.push(`${m} Gv,Ev 0f ${hex(op)} /r${lock}`, `${m} Ib,Ev 0f ba /${d} ib${lock}`);
  });
  r.push(
    "bsf Ev,Gv 0f bc /r",
    "bsr Ev,Gv 0f bd /r",
    "popcnt Ev,Gv f3 0f b8 /r",
    "lzcnt Ev,Gv f3 0f bd /r",
    "tzcnt Ev,Gv f3 0f bc /r",
  );

  // Data movement. For 64-bit immediates GNU as prefers c7 /0 with a sign-extended imm32 and
  // falls back to movabs (b8+r io); for 8/16/32 bits it prefers b0+r / b8+r.
  r.push(
    "mov Gb,Eb 88 /r",
    "mov Gv,Ev 89 /r",
    "mov Eb,Gb 8a /r",
    "mov Ev,Gv 8b /r",
    "mov Ib,Zb b0 +r ib",
    "mov Ib,Eb c6 /0 ib",
    "mov Iw,Zw b8 +r iw",
    "mov Iw,Ew c7 /0 iw",
    "mov Id,Zd b8 +r id",
    "mov Id,Ed c7 /0 id",
    "mov sIz,Eq c7 /0 iz",
    "mov Iq,Zq b8 +r io spell=movabs/movabsq/mov/movq print=movabs",
    // The moffs forms also answer to `mov`: gas takes them for an absolute address beyond a
    // sign-extended disp32 (`mov 0x80000000, %eax`), after the ModRM rows above have failed.
    "movabs Ob,AL a0 spell=movabs/movabsb/mov/movb",
    "movabs Ov,rAX a1 spell16=movabs/movabsw/mov/movw spell32=movabs/movabsl/mov/movl spell64=movabs/movabsq/mov/movq",
    "movabs AL,Ob a2 spell=movabs/movabsb/mov/movb",
    "movabs rAX,Ov a3 spell16=movabs/movabsw/mov/movw spell32=movabs/movabsl/mov/movl spell64=movabs/movabsq/mov/movq",
    "mov Cq,Rq 0f 20 /r d64 sizes=0 spell=mov/movq sem=movcr",
    "mov Rq,Cq 0f 22 /r d64 sizes=0 spell=mov/movq sem=movcr",
    "mov Dq,Rq 0f 21 /r d64 sizes=0 spell=mov/movq sem=movdr",
    "mov Rq,Dq 0f 23 /r d64 sizes=0 spell=mov/movq sem=movdr",
    "movzb Eb,Gv 0f b6 /r spell16=movzbw/movzx spell32=movzbl/movzx spell64=movzbq/movzx sem=movzx",
    "movzw Ew,Gv 0f b7 /r sizes=32,64 spell32=movzwl/movzx spell64=movzwq/movzx sem=movzx",
    "movsb Eb,Gv 0f be /r spell16=movsbw/movsx spell32=movsbl/movsx spell64=movsbq/movsx sem=movsx",
    "movsw Ew,Gv 0f bf /r sizes=32,64 spell32=movswl/movsx spell64=movswq/movsx sem=movsx",
    "movslq Ed,Gq 63 /r sizes=64 spell=movslq/movsxd/movsx sem=movsx",
    "lea M,Gv 8d /r",
    // gas: `xchg %rax,%rax` is the one-byte nop (no REX.W); `xchg %eax,%eax` must not be 90,
    // which would skip the zero-extension of rax, so it takes 87 c0.
    "xchg rAX,rAX 90 d64 sizes=64 alias",
    "xchg rAX,rAX 87 /c0 sizes=32 alias",
    "xchg rAX,Zv 90 +r",
    "xchg Zv,rAX 90 +r alias",
    "xchg Gb,Eb 86 /r lock",
    "xchg Gv,Ev 87 /r lock",
    "xchg Eb,Gb 86 /r alias lock",
    "xchg Ev,Gv 87 /r alias lock",
    "push Zv 50 +r d64 sizes=64,16",
    "push sIb 6a ib d64 sizes=64,16",
    "push Iz 68 iz d64 sizes=64,16",
    "push Ev ff /6 d64 sizes=64,16",
    "pop Zv 58 +r d64 sizes=64,16",
    "pop Ev 8f /0 d64 sizes=64,16",
    "pushf - 9c d64 sizes=64,16",
    "popf - 9d d64 sizes=64,16",
    "bswap Zv 0f c8 +r sizes=32,64",
    "cbtw - 98 sizes=16 spell=cbtw/cbw sem=cbw",
    "cwtl - 98 sizes=32 spell=cwtl/cwde sem=cbw",
    "cltq - 98 sizes=64 spell=cltq/cdqe sem=cbw",
    "cwtd - 99 sizes=16 spell=cwtd/cwd sem=cwd",
    "cltd - 99 sizes=32 spell=cltd/cdq sem=cwd",
    "cqto - 99 sizes=64 spell=cqto/cqo sem=cwd",
  );
  CONDITIONS.forEach((names, cc) => {
    r.push(`cmov${names[0]} Ev,Gv 0f ${hex(0x40 + cc)} /r cc=${cc} sem=cmovcc`);
    r.push(`set${names[0]} Eb 0f ${hex(0x90 + cc)} /0 cc=${cc} sem=setcc print=set${names[0]}`);
    r.push(`j${names[0]} Jb ${hex(0x70 + cc)} cb cc=${cc} sem=jcc`);
    r.push(`j${names[0]} Jz 0f ${hex(0x80 + cc)} cd cc=${cc} sem=jcc`);
  });

  // Control transfer.
  r.push(
    "jmp Jb eb cb",
    "jmp Jz e9 cd",
    "jrcxz Jb e3 cb",
    "call Jz e8 cd d64",
    "call *Ev ff /2 d64 sizes=64",
    "jmp *Ev ff /4 d64 sizes=64",
    "ret - c3 d64 sizes=64 rep",
    "ret Iw c2 iw d64 sizes=64 rep",
    "enter Iw,Ib c8 iw ib d64 sizes=64",
    "leave - c9 d64 sizes=64",
    "int3 - cc",
    // gas assembles `int $3` as the one-byte int3.
    "int 3 cc alias sem=int3",
    "int Ib cd ib",
    "ud2 - 0f 0b",
    "syscall - 0f 05",
    // A bare `iret` or `sysret` is ambiguous for gas (it warns and picks the 32-bit one): both
    // sizes answer to it, so pvopc asks for the suffix.
    "sysret - 0f 07 sizes=32 spell=sysret/sysretl",
    "sysret - 0f 07 sizes=64 spell=sysretq/sysret print=sysretq",
    "iret - cf sizes=32 spell=iret/iretl print=iret",
    "iret - cf sizes=64 spell=iretq/iret print=iretq",
  );

  // System.
  r.push(
    "cli - fa",
    "sti - fb",
    "hlt - f4",
    "pause - f3 90",
    "cpuid - 0f a2",
    "rdtsc - 0f 31",
    "rdmsr - 0f 32",
    "wrmsr - 0f 30",
    "rdpmc - 0f 33",
    "wbinvd - 0f 09",
    "invlpg M 0f 01 /7",
    "swapgs - 0f 01 /f8",
    "clac - 0f 01 /ca",
    "stac - 0f 01 /cb",
    "clts - 0f 06",
    "lgdt M 0f 01 /2",
    "sgdt M 0f 01 /0",
    "lidt M 0f 01 /3",
    "sidt M 0f 01 /1",
    "ltr Ew 0f 00 /3 sizes=0",
    // A segment selector stored to memory is 16 bits whatever the operand size.
    // gas stores a selector into a 64-bit register without REX.W.
    "str Rq 0f 00 /1 d64 alias",
    "str Rv 0f 00 /1",
    "str Mw 0f 00 /1 sizes=0",
    "lldt Ew 0f 00 /2 sizes=0",
    "sldt Rq 0f 00 /0 d64 alias",
    "sldt Rv 0f 00 /0",
    "sldt Mw 0f 00 /0 sizes=0",
    "lfence - 0f ae /e8",
    "mfence - 0f ae /f0",
    "sfence - 0f ae /f8",
    "clc - f8",
    "stc - f9",
    "cmc - f5",
    "cld - fc",
    "std - fd",
    "endbr64 - f3 0f 1e /fa",
  );

  // String operations (rep-able). The operands are implicit: (%rsi) and (%rdi).
  r.push(
    "movs - a4 sizes=8 rep show=X,Y",
    "movs - a5 rep sizes=16,32,64 show=X,Y",
    "stos - aa sizes=8 rep show=AL,Y",
    "stos - ab rep sizes=16,32,64 show=rAX,Y",
    "lods - ac sizes=8 rep show=X,AL",
    "lods - ad rep sizes=16,32,64 show=X,rAX",
  );

  // Atomics.
  r.push(
    "cmpxchg Gb,Eb 0f b0 /r lock",
    "cmpxchg Gv,Ev 0f b1 /r lock",
    "xadd Gb,Eb 0f c0 /r lock",
    "xadd Gv,Ev 0f c1 /r lock",
    "cmpxchg8b Mq 0f c7 /1 lock sizes=0",
    "cmpxchg16b Mo 0f c7 /1 lock sizes=64 print=cmpxchg16b",
  );

  // NOPs: the one-byte nop and the multi-byte 0f 1f /0 forms GNU as pads with.
  r.push("nop - 90 rep", "nop Ev 0f 1f /0 sem=nop");
  return r;
}

const SUFFIX: Record<number, string> = { 8: "b", 16: "w", 32: "l", 64: "q" };

function sizeOfLetter(letter: string, v: number): OperandSize {
  switch (letter) {
    case "b":
      return 8;
    case "w":
      return 16;
    case "d":
      return 32;
    case "q":
      return 64;
    case "o":
      return 128;
    case "v":
      return v as OperandSize;
    case "":
      return 0;
  }
  throw new Error(`bad size letter ${letter}`);
}

function parseOperand(code: string, v: number): { type: OperandType; indirect: boolean } {
  const fixed = (name: string): OperandType => ({ t: "fixed", reg: registerByName(name)! });
  let indirect = false;
  if (code.startsWith("*")) {
    indirect = true;
    code = code.slice(1);
  }
  if (code === "AL") return { type: fixed("al"), indirect };
  if (code === "CL") return { type: fixed("cl"), indirect };
  if (code === "rAX") return { type: fixed(v === 16 ? "ax" : v === 32 ? "eax" : "rax"), indirect };
  if (code === "1" || code === "3") return { type: { t: "one", value: code === "1" ? 1 : 3 }, indirect };
  if (code === "C") return { type: { t: "creg" }, indirect };
  const m = /^(sI|[GEMRZIJOCD])([bwdqvzo]?)$/.exec(code === "Cq" ? "C" : code === "Dq" ? "D" : code);
  if (!m) throw new Error(`bad operand code ${code}`);
  const [, kind, letter] = m as unknown as [string, string, string];
  if (kind === "C") return { type: { t: "creg" }, indirect };
  if (kind === "D") return { type: { t: "dreg" }, indirect };
  if (kind === "J") return { type: { t: "rel", bits: letter === "b" ? 8 : 32 }, indirect };
  if (kind === "I" || kind === "sI") {
    let bits: 8 | 16 | 32 | 64;
    if (letter === "z") bits = v === 16 ? 16 : 32;
    else bits = sizeOfLetter(letter, v) as 8 | 16 | 32 | 64;
    return { type: { t: "imm", bits, signExtended: kind === "sI" }, indirect };
  }
  const bits = sizeOfLetter(letter, v);
  const t = ({ G: "reg", E: "rm", M: "mem", R: "rmreg", Z: "opreg", O: "moffs" } as const)[
    kind as "G" | "E" | "M" | "R" | "Z" | "O"
  ];
  return { type: { t, bits } as OperandType, indirect };
}

function expand(row: string, forms: Form[]): void {
  const words = row.trim().split(/\s+/);
  const [mnemonic, operandText] = words as [string, string];
  const attrs = new Map<string, string>();
  const enc: string[] = [];
  for (const w of words.slice(2)) {
    const eq = w.indexOf("=");
    if (eq > 0) attrs.set(w.slice(0, eq), w.slice(eq + 1));
    else if (["lock", "rep", "alias", "d64"].includes(w)) attrs.set(w, "");
    else enc.push(w);
  }
  const codes = operandText === "-" ? [] : operandText.split(",");
  const variable = codes.some((c) => c.endsWith("v") || c === "rAX");
  let sizes: number[];
  if (attrs.has("sizes")) sizes = attrs.get("sizes")!.split(",").map(Number);
  else if (variable) sizes = [16, 32, 64];
  else sizes = [-1];

  for (const v of sizes) {
    const parsed = codes.map((c) => parseOperand(c, v));
    const operands = parsed.map((p) => p.type);
    const indirect = parsed.some((p) => p.indirect);
    // The operand size: the v size, or the size of the first sized operand.
    let opsize: OperandSize = v > 0 ? (v as OperandSize) : 0;
    if (v < 0) {
      for (const o of operands) {
        if ((o.t === "reg" || o.t === "rm" || o.t === "mem" || o.t === "rmreg" || o.t === "opreg" || o.t === "moffs") && o.bits) {
          opsize = o.bits;
          break;
        }
        if (o.t === "fixed") {
          opsize = o.reg.bits;
          break;
        }
      }
    }
    if (v === 0) opsize = 0;
    const default64 = attrs.has("d64");
    const opcode: number[] = [];
    const mandatoryPrefixes: number[] = [];
    let modrm: ModRM = { kind: "none" };
    let plusReg = false;
    const immediates: (8 | 16 | 32 | 64)[] = [];
    for (const e of enc) {
      // `cb`/`cd` after the opcode of a branch row name its displacement, not opcode bytes.
      const displacement = (e === "cb" || e === "cd") && opcode.length > 0 && operands.some((o) => o.t === "rel");
      if (/^[0-9a-f]{2}$/.test(e) && !displacement) {
        if (opcode.length === 0 && (e === "66" || e === "f2" || e === "f3") && enc.length > 1) mandatoryPrefixes.push(parseInt(e, 16));
        else opcode.push(parseInt(e, 16));
      } else if (e === "/r") modrm = { kind: "r" };
      else if (/^\/[0-7]$/.test(e)) modrm = { kind: "digit", digit: Number(e[1]) };
      else if (/^\/[0-9a-f]{2}$/.test(e)) modrm = { kind: "fixed", byte: parseInt(e.slice(1), 16) };
      else if (e === "+r") plusReg = true;
      else if (e === "ib" || e === "cb") immediates.push(8);
      else if (e === "iw") immediates.push(16);
      else if (e === "id" || e === "cd") immediates.push(32);
      else if (e === "iz") immediates.push(opsize === 16 ? 16 : 32);
      else if (e === "io") immediates.push(64);
      else throw new Error(`bad encoding word ${e} in row: ${row}`);
    }
    // `pause` is f3 90: the f3 is a mandatory prefix even though it is the only other byte.
    if (opcode.length === 0 && mandatoryPrefixes.length === 0) throw new Error(`no opcode in row: ${row}`);
    const suffix = opsize === 8 || opsize === 16 || opsize === 32 || opsize === 64 ? SUFFIX[opsize]! : "";
    const spellKey = `spell${v > 0 ? v : ""}`;
    const spellings = attrs.has(spellKey)
      ? attrs.get(spellKey)!.split("/")
      : attrs.has("spell")
        ? attrs.get("spell")!.split("/")
        : suffix && opsize !== 128
          ? [mnemonic, mnemonic + suffix]
          : [mnemonic];
    const print = attrs.get("print");
    const bare = spellings.includes(mnemonic) ? mnemonic : spellings[0]!;
    const ccText = attrs.get("cc");
    const shown = (attrs.get("show")?.split(",") ?? []).map((c): ShownOperand => {
      if (c === "X") return { t: "strsrc" };
      if (c === "Y") return { t: "strdst" };
      return parseOperand(c, v).type as ShownOperand;
    });
    forms.push({
      id: forms.length,
      mnemonic,
      spellings,
      printSized: print ?? (default64 && opsize === 64 ? bare : spellings.includes(mnemonic + suffix) ? mnemonic + suffix : spellings[0]!),
      printBare: print ?? bare,
      operands,
      indirect,
      opsize,
      mandatoryPrefixes,
      opsizePrefix: opsize === 16,
      rexW: (opsize === 64 || opsize === 128) && !default64,
      opcode,
      modrm,
      plusReg,
      immediates,
      lockable: attrs.has("lock"),
      repable: attrs.has("rep"),
      alias: attrs.has("alias"),
      default64,
      sem: attrs.get("sem") ?? mnemonic,
      cc: ccText === undefined ? -1 : Number(ccText),
      shown,
      row,
    });
  }
}

function build(): Form[] {
  const forms: Form[] = [];
  for (const row of rows()) expand(row, forms);
  return forms;
}

/** Every concrete instruction form, in preference order. */
export const FORMS: readonly Form[] = build();

const bySpelling = new Map<string, Form[]>();
for (const f of FORMS) {
  for (const s of f.spellings) {
    let list = bySpelling.get(s);
    if (!list) bySpelling.set(s, (list = []));
    list.push(f);
  }
}
// Condition-code aliases: jz, jnae, cmovz, setnbe, ...
CONDITIONS.forEach((names) => {
  for (const alt of names.slice(1)) {
    for (const prefix of ["j", "set", "cmov"]) {
      for (const f of bySpelling.get(prefix + names[0]) ?? []) {
        for (const s of f.spellings) {
          const aliasSpelling = prefix + alt + s.slice(prefix.length + names[0]!.length);
          let list = bySpelling.get(aliasSpelling);
          if (!list) bySpelling.set(aliasSpelling, (list = []));
          if (!list.includes(f)) list.push(f);
        }
      }
    }
  }
});

/** The forms an assembler mnemonic may denote, in preference order (empty if unknown). */
export function formsForMnemonic(mnemonic: string): readonly Form[] {
  return bySpelling.get(mnemonic.toLowerCase()) ?? [];
}

/** Every mnemonic spelling the assembler accepts. */
export function allSpellings(): readonly string[] {
  return [...bySpelling.keys()];
}
