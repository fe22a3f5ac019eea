// Generators of x86-64 machine code built from the instruction table, for the decoder's tests
// and for bench/disasm.mjs (plain JavaScript so that the benchmark can load it next to the
// compiled sources). Both take the table's FORMS as an argument.
//
// - instructionArbitrary(fc, forms): a fast-check arbitrary of one random encoding of a random
//   non-alias form: random legal prefixes in random order, REX bits (including ones that carry
//   nothing), every register, every ModRM/SIB shape, displacement and immediate boundaries.
//   "Legal" is the space where pvopc's decoder and objdump are meant to agree; the exclusions
//   below are the documented `(bad)` cases of docs/disassembler.md.

const SEGMENTS = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];

const isRel32 = (f) => f.operands.some((o) => o.t === "rel" && o.bits === 32);
const sizeFree = (f) => f.opsize === 0 || f.opsize === 8;
const hasOperand = (f, ...kinds) => f.operands.some((o) => kinds.includes(o.t));
const key = (bytes) => bytes.join(",");

/** Interesting values of a signed field of `bits` bits: the boundaries and a few others. */
function signedValue(fc, bits) {
  const max = (1n << BigInt(bits - 1)) - 1n;
  const min = -max - 1n;
  return fc.oneof(
    fc.constantFrom(0n, 1n, -1n, max, min, max - 1n, min + 1n, 0x7fn, -0x80n, 0x80n, -0x81n).filter((v) => v >= min && v <= max),
    fc.bigInt(min, max),
  );
}

function littleEndian(value, bytes) {
  const out = [];
  let v = BigInt.asUintN(bytes * 8, value);
  for (let i = 0; i < bytes; i++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}

function shuffled(fc, items) {
  if (items.length < 2) return fc.constant(items);
  return fc.shuffledSubarray(items, { minLength: items.length, maxLength: items.length });
}

/**
 * One random encoding of a random non-alias form, as a Uint8Array. `forms` is FORMS from the
 * table (src or dist).
 */
export function instructionArbitrary(fc, forms) {
  const decodable = forms.filter((f) => !f.alias);
  // Opcodes (without their mandatory prefix) that also have a mandatory-prefix form: there an
  // f2/f3 selects a form or is invalid, so it is never a plain rep prefix.
  const withMandatory = new Set(decodable.filter((f) => f.mandatoryPrefixes.length).map((f) => key(f.opcode)));
  return fc.constantFrom(...decodable).chain((form) => formArbitrary(fc, form, withMandatory.has(key(form.opcode))));
}

function modrmArbitrary(fc, form) {
  const m = form.modrm;
  if (m.kind === "none") return fc.constant(undefined);
  if (m.kind === "fixed") return fc.constant({ bytes: [m.byte], rex: 0, sib: false, memory: false });
  const hasMem = hasOperand(form, "mem");
  const hasRmReg = hasOperand(form, "rmreg");
  const mod = hasMem ? fc.integer({ min: 0, max: 2 }) : hasRmReg ? fc.constant(3) : fc.integer({ min: 0, max: 3 });
  const reg = m.kind === "digit" ? fc.constant(m.digit) : hasOperand(form, "dreg") ? fc.integer({ min: 0, max: 7 }) : fc.integer({ min: 0, max: 15 });
  return fc
    .record({
      mod,
      reg,
      rm: fc.integer({ min: 0, max: 15 }),
      scale: fc.integer({ min: 0, max: 3 }),
      index: fc.integer({ min: 0, max: 15 }),
      base: fc.integer({ min: 0, max: 15 }),
      disp8: signedValue(fc, 8),
      disp32: signedValue(fc, 32),
    })
    .map(({ mod, reg, rm, scale, index, base, disp8, disp32 }) => {
      let rex = (reg & 8) >> 1;
      const bytes = [];
      const memory = mod !== 3;
      let sib = false;
      if (!memory || (rm & 7) !== 4) {
        bytes.push((mod << 6) | ((reg & 7) << 3) | (rm & 7));
        rex |= (rm & 8) >> 3;
      } else {
        sib = true;
        bytes.push((mod << 6) | ((reg & 7) << 3) | 4, (scale << 6) | ((index & 7) << 3) | (base & 7));
        rex |= ((index & 8) >> 2) | ((base & 8) >> 3);
      }
      if (mod === 1) bytes.push(...littleEndian(disp8, 1));
      else if (mod === 2 || (mod === 0 && ((rm & 7) === 5 || (sib && (base & 7) === 5)))) bytes.push(...littleEndian(disp32, 4));
      return { bytes, rex, sib, memory };
    });
}

function immediatesArbitrary(fc, form) {
  const parts = form.immediates.map((bits) => signedValue(fc, bits).map((v) => littleEndian(v, bits / 8)));
  if (hasOperand(form, "moffs")) parts.push(fc.bigInt(0n, (1n << 64n) - 1n).map((v) => littleEndian(v, 8)));
  return parts.length ? fc.tuple(...parts).map((p) => p.flat()) : fc.constant([]);
}

function formArbitrary(fc, form, opcodeHasMandatory) {
  return fc
    .record({
      modrm: modrmArbitrary(fc, form),
      opreg: fc.integer({ min: 0, max: 15 }),
      imm: immediatesArbitrary(fc, form),
      seg: fc.option(fc.constantFrom(...SEGMENTS), { freq: 4 }),
      addr32: fc.boolean(),
      data16: fc.boolean(),
      lock: fc.option(fc.constant(0xf0), { freq: 8 }),
      rep: fc.option(fc.constantFrom(0xf2, 0xf3), { freq: 4 }),
      extraRex: fc.integer({ min: 0, max: 0x1f }),
    })
    .chain((c) => {
      const modrm = c.modrm;
      let rex = form.rexW ? 8 : 0;
      if (modrm) rex |= modrm.rex;
      if (form.plusReg) rex |= (c.opreg & 8) >> 3;
      // REX bits nothing reads (objdump names them: rex.W, rex.R, rex.X, rex.B, rex).
      const extra = c.extraRex;
      if (extra & 0x10) {
        if (extra & 8 && (sizeFree(form) || (form.default64 && form.opsize === 64)) && !hasOperand(form, "moffs")) rex |= 8;
        if (extra & 4 && !hasOperand(form, "reg", "creg", "dreg")) rex |= 4;
        if (extra & 2 && !modrm?.sib) rex |= 2;
        if (extra & 1 && !hasOperand(form, "rm", "mem", "rmreg", "opreg")) rex |= 1;
        rex |= 0x40;
      }
      const optional = [];
      if (c.seg !== null) optional.push(c.seg);
      const jrcxz = form.mnemonic === "jrcxz";
      if (c.addr32 && !hasOperand(form, "moffs") && !jrcxz) optional.push(0x67);
      const nop90 = form.opcode.length === 1 && form.opcode[0] === 0x90 && !form.plusReg;
      // 66 where it sizes nothing: ignored before one-byte opcodes, (bad) before two-byte ones
      // and with REX.W.
      const twoByte = form.opcode.length > 1;
      if (c.data16 && !form.opsizePrefix && sizeFree(form) && !twoByte && !isRel32(form) && !nop90) optional.push(0x66);
      if (c.lock !== null) optional.push(c.lock);
      if (c.rep !== null && !form.mandatoryPrefixes.length && !opcodeHasMandatory && !(twoByte && !hasOperand(form, "rel"))) optional.push(c.rep);
      const required = form.opsizePrefix ? [0x66] : [];
      const legacy = [...optional, ...required];
      return shuffled(fc, legacy).map((prefixes) => {
        const bytes = [...prefixes, ...form.mandatoryPrefixes];
        if (rex) bytes.push(0x40 | rex);
        const opcode = [...form.opcode];
        if (form.plusReg) opcode[opcode.length - 1] += c.opreg & 7;
        bytes.push(...opcode);
        if (modrm) bytes.push(...modrm.bytes);
        bytes.push(...c.imm);
        return Uint8Array.from(bytes);
      });
    })
    .filter((bytes) => bytes.length <= 15);
}

// - corpusSource(forms): GNU as source with every non-alias form in every operand shape (each
//   register, memory shapes with every displacement boundary, immediate boundaries, both branch
//   widths), plus prefixed lines objdump names specially. Lines as rejects (a high-byte register
//   next to one that needs REX, a value out of range) are for the caller to drop.

const REGISTERS = {
  8: ["al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil", ...Array.from({ length: 8 }, (_, i) => `r${i + 8}b`), "ah", "ch", "dh", "bh"],
  16: ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di", ...Array.from({ length: 8 }, (_, i) => `r${i + 8}w`)],
  32: ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", ...Array.from({ length: 8 }, (_, i) => `r${i + 8}d`)],
  64: ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", ...Array.from({ length: 8 }, (_, i) => `r${i + 8}`)],
};

const MEMORY = [
  "(%rax)", "(%rsp)", "(%rbp)", "(%r12)", "(%r13)", "(%r15)",
  "0x7f(%rcx)", "-0x80(%rdx)", "0x80(%rbx)", "-0x81(%rsi)", "0x7fffffff(%rdi)", "-0x80000000(%r8)",
  "{disp8} 0x0(%rax)", "{disp32} 0x0(%r9)", "{disp32} 0x10(%rsp)",
  "(%rax,%rbx,1)", "0x10(%r8,%r9,2)", "-0x8(%rsp,%r15,4)", "(%rbp,%rax,8)", "(%r13,%r12,1)", "(,%rcx,8)", "0x12345678(,%r11,2)",
  "0x12345678", "0xffffffffffffff00", "0x0(%rip)", "-0x10(%rip)", "0x7fffffff(%rip)",
  "%fs:0x28", "%gs:(%rax)", "%fs:-0x8(%rbp,%rcx,4)", "%cs:(%rax)",
  "(%eax)", "0x10(%r8d,%eax,4)", "-0x1(%esp)", "0x0(%eip)",
];

const IMMEDIATES = {
  "8s": ["0x0", "0x1", "0x7f", "-0x80", "-0x1"],
  "8u": ["0x0", "0x1", "0x7f", "0x80", "0xff"],
  16: ["0x0", "0x1", "0x7fff", "0x8000", "0xffff"],
  32: ["0x0", "0x1", "0x80", "0x12345678", "0x7fffffff", "0x80000000", "0xffffffff"],
  "32s": ["0x0", "0x80", "0x12345678", "0x7fffffff", "-0x80000000", "-0x1"],
  64: ["0x1", "0x100000000", "0x123456789abcdef0", "0x8000000000000000", "0xffffffffffffffff"],
};

function immediateValues(type, form) {
  if (type.bits === 8) return IMMEDIATES[type.signExtended ? "8s" : "8u"];
  if (type.bits === 32 && (type.signExtended || form.opsize === 64)) return IMMEDIATES["32s"];
  return IMMEDIATES[type.bits];
}

/** Every text the operand takes in some line; a form's lines cycle through all of its operands'. */
function operandTexts(type, form) {
  switch (type.t) {
    case "reg":
    case "rmreg":
    case "opreg":
      return REGISTERS[type.bits].map((r) => `%${r}`);
    case "rm":
      return [...REGISTERS[type.bits].map((r) => `%${r}`), ...MEMORY];
    case "mem":
      return MEMORY;
    case "fixed":
      return [`%${type.reg.name}`];
    case "imm":
      return immediateValues(type, form).map((v) => `$${v}`);
    case "one":
      return ["$1"];
    case "rel":
      return ["1f", "1b"];
    case "moffs":
      return ["0x1122334455667788", "%fs:0x10", "0x0"];
    case "creg":
      return ["%cr0", "%cr2", "%cr3", "%cr4", "%cr8"];
    case "dreg":
      return Array.from({ length: 8 }, (_, i) => `%db${i}`);
  }
  throw new Error(`no texts for operand ${type.t}`);
}

const CORPUS_EXTRAS = [
  "lock addl $0x1,(%rax)", "lock cmpxchg %ecx,(%rdx)", "lock xadd %rax,0x8(%rdi)", "xacquire lock incl (%rax)", "xrelease movl $0x0,(%rdi)",
  "rep stosb", "rep stosq", "rep movsb", "rep movsq", "rep lodsb", "repnz movsb", "repz ret", "bnd ret", "bnd jmp 1f\n1:", "bnd call *%rax",
  "notrack jmp *%rax", "notrack call *(%rax)", "cs nopw 0x0(%rax,%rax,1)", "data16 cs nopw 0x0(%rax,%rax,1)", "ds movl (%rax),%eax",
  "rex.W push %rax", "rex ret", "addr32 call 1f\n1:", "fs stosb", "movsb %fs:(%rsi),%es:(%rdi)", "lodsl %gs:(%rsi),%eax",
  "jo,pt 1f\n1:", "jo,pn 1f\n1:", "xchg %ax,%ax", "cs jmp 1f\n1:", "data16 jmp 1f\n1:",
  // as never puts REX.W on str and sldt: `str %rax` and `sldt %rax`.
  ".byte 0x48,0x0f,0x00,0xc8", ".byte 0x48,0x0f,0x00,0xc0",
];

function mnemonicFor(form, texts) {
  const register = texts.some((t, i) => t.startsWith("%") && !t.includes(":") && !t.includes("(") && form.operands[i].t !== "creg" && form.operands[i].t !== "dreg" && !(form.operands[i].t === "fixed" && form.operands[i].reg.num !== 0));
  return register ? form.printBare : form.printSized;
}

export function corpusSource(forms) {
  const lines = [".text"];
  for (const form of forms) {
    if (form.alias) continue;
    const choices = form.operands.map((o) => operandTexts(o, form));
    const count = Math.max(1, ...choices.map((c) => c.length));
    for (let k = 0; k < count; k++) {
      const texts = choices.map((c, i) => c[(k + i * 3) % c.length]);
      const pseudo = texts.find((t) => t.startsWith("{"))?.split(" ")[0] ?? "";
      const operands = texts.map((t) => (t.startsWith("{") ? t.split(" ")[1] : t)).map((t) => (form.indirect ? `*${t}` : t));
      const wide = form.operands.some((o) => o.t === "rel" && o.bits === 32) ? "{disp32} " : "";
      const statement = `${wide || (pseudo && pseudo + " ")}${mnemonicFor(form, texts)} ${operands.join(",")}`.trimEnd();
      lines.push(form.operands.some((o) => o.t === "rel") ? (texts.includes("1b") ? `1: ${statement}` : `${statement}\n1:`) : statement);
    }
  }
  lines.push(...CORPUS_EXTRAS);
  return lines.join("\n") + "\n";
}
