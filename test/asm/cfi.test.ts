/**
 * Call frame information against GNU as: the objects pvopc makes of `.cfi_*` sources (the CFI
 * corpus files, sources ld would refuse to link, gcc's output for C with unwind tables, random
 * procedures) must be byte-identical to as's and read the same in `readelf --debug-dump=frames`;
 * the CFI lines pvopc rejects must be those as rejects.
 */
import fc from "fast-check";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { assemble } from "../../src/asm/assembler.js";
import { SourceFile } from "../../src/diag/diagnostic.js";
import { writeElf } from "../../src/image/elf-write.js";
import { corpusSources, gnuObject, onObject, tool } from "../image/oracle.js";
import { gccAssembly, withTempDir } from "../support/toolchain.js";
import { compareWithGnu } from "./compare.js";

/** pvopc's object for `source`, or the error diagnostics that stopped it. */
function pvopcObject(name: string, source: string): Uint8Array {
  const result = assemble(new SourceFile(name, source));
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (errors.length) throw new Error(errors.map((d) => `${d.file.position(d.span.start).line}: ${d.message}`).join("\n"));
  return writeElf(result.image);
}

const frames = (object: Uint8Array) => onObject(object, "readelf", ["--debug-dump=frames"]).stdout;
const layout = (object: Uint8Array) => onObject(object, "readelf", ["-a", "-W"]).stdout;

/** Compares the objects in the order that explains a difference best: frames, then the rest, then bytes. */
function expectSameObject(name: string, source: string): void {
  const ours = pvopcObject(name, source);
  const theirs = gnuObject(source);
  expect(frames(ours)).toBe(frames(theirs));
  expect(layout(ours)).toBe(layout(theirs));
  expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
}

describe("the CFI corpus files", () => {
  const sources = corpusSources().filter((s) => s.name.startsWith("cfi-"));

  test("are there", () => {
    expect(sources.map((s) => s.name)).toEqual(["cfi-advance", "cfi-cies", "cfi-rules", "cfi-sections"]);
  });

  test.each(sources)("$name reads the same in readelf --debug-dump=frames", ({ name, text }) => {
    const ours = pvopcObject(name, text);
    const dump = frames(ours);
    expect(dump).toContain("CIE");
    expect(dump).toBe(frames(gnuObject(text)));
  });
});

/** What the corpus cannot hold, because ld refuses or overflows on it when the corpus is linked. */
const UNLINKABLE: Record<string, string> = {
  "2-byte and 8-byte pointers": `
	.text
udata2:
	.cfi_startproc
	.cfi_personality 0x2,0x1234
	.cfi_lsda 0x1a,.Llsda
	ret
	.cfi_endproc
pcrel8:
	.cfi_startproc
	.cfi_personality 0x9c,personality
	.cfi_lsda 0x1c,.Llsda
	ret
	.cfi_endproc
signed:
	.cfi_startproc
	.cfi_personality 0x8b,personality-4
	.cfi_lsda 0x0c,.Llsda+2
	ret
	.cfi_endproc
	.section .gcc_except_table,"a",@progbits
.Llsda:
	.byte 0xff, 0xff, 0x01, 0x00
`,
  "escape bytes that are symbols and differences": `
	.text
f:
	.cfi_startproc
	.cfi_label here
	.cfi_escape 0x2e, later - here, outside, end - f
	nop
end:
	.cfi_endproc
`,
  "a return column above 63 and registers above 63 in the long forms": `
	.text
f:
	.cfi_startproc
	.cfi_return_column %k0
	.cfi_offset %k1, -8
	.cfi_offset %k2, 8
	.cfi_restore %k1
	.cfi_def_cfa %k3, 0x10000
	.cfi_def_cfa_offset 0x123456789
	ret
	.cfi_endproc
`,
  "a frame left open in one section while another is written": `
	.text
hot:
	.cfi_startproc
	push %rbx
	.cfi_adjust_cfa_offset 8
	.section .text.cold,"ax",@progbits
	.cfi_startproc simple
	.cfi_def_cfa %rsp, 16
	ud2
	.cfi_endproc
	.text
	.cfi_rel_offset %rbx, 0
	pop %rbx
	.cfi_adjust_cfa_offset -8
	ret
	.cfi_endproc
`,
  "a frame written to no section": `
	.cfi_sections
	.text
f:
	.cfi_startproc
	ret
	.cfi_endproc
`,
};

describe("sources outside the corpus", () => {
  test.each(Object.entries(UNLINKABLE))("%s: the same object as as's", (name, source) => {
    expectSameObject(`${name}.s`, source);
  });
});

/**
 * C with unwind tables (gcc's default on x86-64): frame pointers, alloca, callee-saved
 * registers, cold code in .text.unlikely, a hot/cold split and tail calls. No uninitialised
 * statics (gcc writes .local/.comm for them), no floating point and no string literals (their
 * relocations into SHF_MERGE sections are another change's).
 */
const C_SOURCES: Record<string, string> = {
  "frames.c": `
#include <alloca.h>
#include <string.h>
extern int consume(void *p, int n);
extern void report(int code) __attribute__((cold));
extern void stop(void) __attribute__((noreturn));

int with_alloca(int n) {
  char *buf = alloca(n + 16);
  memset(buf, 0, n + 16);
  return consume(buf, n);
}

long many_saved(long a, long b, long c, long d, long e, long f) {
  long x = consume(&a, 1), y = consume(&b, 2), z = consume(&c, 3);
  long u = consume(&d, 4), v = consume(&e, 5), w = consume(&f, 6);
  return x * a + y * b + z * c + u * d + v * e + w * f + consume(0, (int)(x ^ y ^ z ^ u ^ v ^ w));
}

__attribute__((cold, noinline)) void fail(int why) {
  report(why);
  stop();
}

int checked(int *p, int n) {
  int s = 0;
  for (int i = 0; i < n; i++) {
    if (__builtin_expect(p[i] < 0, 0)) {
      report(i);
      return -1;
    }
    s += p[i];
  }
  if (s > 1000) fail(s);
  return s;
}

static int helper(int x) { return consume(&x, x) + 1; }
int leaf(int x) { return x * 3 + 1; }
int calls_static(int x) { return helper(x) * helper(x + 1); }
int tail(int x) { return consume(0, x + 1); }
`,
  "switch.c": `
extern int consume(void *p, int n);
static const int table[] = {3, 1, 4, 1, 5, 9, 2, 6};

int dispatch(int op, int a, int b) {
  switch (op) {
  case 0: return a + b;
  case 1: return a - b;
  case 2: return consume(&a, b);
  case 3: return a * b;
  case 4: return consume(&b, a) + table[a & 7];
  case 5: return a << (b & 31);
  case 6: return a ^ b;
  default: return -1;
  }
}

int recurse(int n) {
  char buf[64];
  if (n <= 0) return consume(buf, 0);
  buf[n & 63] = (char)n;
  return recurse(n - 1) + consume(buf, n);
}
`,
};

describe("gcc's unwind tables", () => {
  const cases = Object.keys(C_SOURCES).flatMap((name) => [["-O0"], ["-O2"], ["-O2", "-fno-omit-frame-pointer"], ["-Os"]].map((flags) => ({ name, flags })));

  test.each(cases)("$name with $flags: the same object as as's", ({ name, flags }) => {
    const source = gccAssembly(name, C_SOURCES[name]!, flags);
    expect(source).toContain(".cfi_startproc");
    expectSameObject(name.replace(/\.c$/, ".s"), source);
  });
});

describe("random procedures", () => {
  const register = fc.constantFrom("%rbx", "%rbp", "%r12", "%r15", "rax", "7", "%rip", "%xmm3", "%k5");
  const eighths = fc.integer({ min: -40, max: 40 }).map((n) => n * 8);
  const directive = fc.oneof(
    eighths.map((n) => `.cfi_def_cfa_offset ${n}`),
    eighths.map((n) => `.cfi_adjust_cfa_offset ${n}`),
    fc.tuple(register, eighths).map(([r, n]) => `.cfi_offset ${r}, ${n}`),
    fc.tuple(register, eighths).map(([r, n]) => `.cfi_rel_offset ${r}, ${n}`),
    fc.tuple(register, eighths).map(([r, n]) => `.cfi_val_offset ${r}, ${n}`),
    fc.tuple(register, fc.integer({ min: -0x4000, max: 0x4000 })).map(([r, n]) => `.cfi_def_cfa ${r}, ${n * 8}`),
    register.map((r) => `.cfi_def_cfa_register ${r}`),
    register.map((r) => `.cfi_restore ${r}`),
    register.map((r) => `.cfi_undefined ${r}`),
    register.map((r) => `.cfi_same_value ${r}`),
    fc.tuple(register, register).map(([a, b]) => `.cfi_register ${a}, ${b}`),
    fc.constantFrom(".cfi_escape 0x2e, 0x10", ".cfi_window_save", ".cfi_signal_frame", ".cfi_return_column 17"),
  );
  const code = fc.oneof(
    fc.constantFrom("nop", "push %rbx", "pop %rbx", "movq %rsp, %rbp", "leave", "call helper", "subq $24, %rsp"),
    fc.integer({ min: 1, max: 400 }).map((n) => `.skip ${n}, 0x90`),
    fc.constantFrom(".p2align 4", ".p2align 3"),
  );
  /** Labels in a procedure: one after every fourth item of its body. */
  const LABELS = 8;
  const item = fc.oneof(
    { weight: 3, arbitrary: code },
    { weight: 4, arbitrary: directive },
    { weight: 1, arbitrary: fc.constantFrom("remember", "restore") },
    { weight: 2, arbitrary: fc.nat(LABELS - 1).map((l) => `jump ${l}`) },
  );
  /** A procedure: code, CFI directives and jumps among its own labels, so relaxation moves the advances. */
  const procedure = fc.record({
    simple: fc.boolean(),
    personality: fc.constantFrom("", "", ".cfi_personality 0x9b, personality", ".cfi_personality 0x3, personality"),
    lsda: fc.constantFrom("", "", ".cfi_lsda 0x1b, .Llsda", ".cfi_lsda 0x3, .Llsda"),
    body: fc.array(item, { maxLength: 4 * LABELS, size: "max" }),
    cold: fc.boolean(),
  });
  type Procedure = typeof procedure extends fc.Arbitrary<infer T> ? T : never;

  function write(procedures: Procedure[]): string {
    const lines = ["\t.text", "helper:", "\tret"];
    procedures.forEach((p, k) => {
      if (p.cold) lines.push('\t.section .text.unlikely,"ax",@progbits');
      else lines.push("\t.text");
      lines.push(`proc${k}:`, `\t.cfi_startproc${p.simple ? " simple" : ""}`);
      if (p.personality) lines.push(`\t${p.personality}`);
      if (p.lsda) lines.push(`\t${p.lsda}`);
      let remembered = 0;
      p.body.forEach((line, i) => {
        if (line === "remember") {
          remembered++;
          lines.push("\t.cfi_remember_state");
        } else if (line === "restore") {
          if (remembered-- > 0) lines.push("\t.cfi_restore_state");
          else remembered = 0;
        } else if (line.startsWith("jump ")) lines.push(`\tjne .L${k}_${line.slice(5)}`);
        else lines.push(`\t${line}`);
        if (i % 4 === 3) lines.push(`.L${k}_${i >> 2}:`);
      });
      // Every label a jump may name exists.
      for (let l = p.body.length >> 2; l < LABELS; l++) lines.push(`.L${k}_${l}:`);
      lines.push("\tret", "\t.cfi_endproc");
    });
    lines.push("\t.data", "personality:", "\t.quad 0", '\t.section .gcc_except_table,"a",@progbits', ".Llsda:", "\t.byte 0xff, 0xff, 1, 0", "");
    return lines.join("\n");
  }

  test("12 files of 24 procedures each give as's objects", () => {
    fc.assert(
      fc.property(fc.array(procedure, { minLength: 24, maxLength: 24 }), (procedures) => {
        expectSameObject("random.s", write(procedures));
      }),
      { seed: 20261122, numRuns: 12, endOnFailure: true },
    );
  });
});

describe("CFI errors", () => {
  // [line, code, the text the caret must start at]
  const ERRORS: [string, string, string][] = [
    ["\t.cfi_def_cfa_offset 16", "PV1030", ".cfi_def_cfa_offset"],
    ["\t.cfi_endproc", "PV1030", ".cfi_endproc"],
    ["f:\t.cfi_startproc", "", ""],
    ["\t.cfi_startproc", "PV1030", ".cfi_startproc"],
    ["\t.cfi_offset %rbp, -12", "PV1013", "-12"],
    ["\t.cfi_restore_state", "PV1030", ".cfi_restore_state"],
    ["\t.cfi_offset %foo, 8", "PV1009", "%foo"],
    ["\t.cfi_offset %eax, 8", "PV1009", "%eax"],
    ["\t.cfi_undefined 4294967295", "PV1013", "4294967295"],
    ["\t.cfi_undefined -1", "PV1013", "-1"],
    ["\t.cfi_undefined nowhere", "PV1013", "nowhere"],
    ["\t.cfi_def_cfa_offset nowhere", "PV1013", "nowhere"],
    ["\t.cfi_personality 0x1b, 5", "PV1013", "5"],
    ["\t.cfi_lsda 0x1b, 5", "PV1013", "5"],
    ["\t.cfi_personality 0x50, p", "PV1013", "0x50"],
    ["\t.cfi_lsda 0x9, p", "PV1013", "0x9"],
    ["\t.cfi_lsda 0x100, p", "PV1013", "0x100"],
    ["\t.cfi_personality 0x9b, a - b", "PV1013", "a - b"],
    ["\t.cfi_def_cfa %rsp", "PV1013", ".cfi_def_cfa"],
    ["\t.cfi_register %rax", "PV1013", ".cfi_register"],
    ["\t.cfi_rel_offset %rbp, 4", "PV1013", "4"],
    ["\t.cfi_val_offset %rbp, 4", "PV1013", "4"],
    ["\t.cfi_same_value %rbp, %rbx", "PV1013", ".cfi_same_value"],
    ["\t.cfi_signal_frame 1", "PV1013", ".cfi_signal_frame"],
    ["\t.cfi_personality_id 1", "PV1013", ".cfi_personality_id"],
    ["\t.cfi_fde_data 1", "PV1013", ".cfi_fde_data"],
    ["\t.cfi_inline_lsda 1", "PV1013", ".cfi_inline_lsda"],
    ["\t.cfi_sections .foo", "PV1013", ".foo"],
    ["\t.cfi_val_encoded_addr %rbp, 0x1b, 5", "PV1013", "5"],
    ["\t.cfi_startproc frob", "PV1030", ".cfi_startproc"],
    ["\t.section .data", "", ""],
    ["\t.cfi_offset 3, -8", "PV1030", ".cfi_offset"],
    ["\t.text", "", ""],
    ["\t.cfi_sections .debug_frame", "", ""],
    ["\t.cfi_sections .eh_frame", "PV1030", ".cfi_sections"],
    ["\t.cfi_offset rbx, -24", "", ""],
    ["\t.cfi_restore %rbp, %rbx", "", ""],
    ["\t.cfi_personality 0x9c, p", "", ""],
    ["\t.cfi_escape 0x2e, -1, 255", "", ""],
    ["\tnop", "", ""],
    ["\t.cfi_endproc", "", ""],
  ];
  const source = ERRORS.map(([l]) => l).join("\n") + "\n";
  const file = new SourceFile("cfi-errors.s", source);
  const result = assemble(file);

  test("each bad line gets one error with its code, at the offending text", () => {
    const got = result.diagnostics.map((d) => {
      const p = file.position(d.span.start);
      return { line: p.line, code: d.code, column: p.column };
    });
    const expected = ERRORS.flatMap(([text, code, at], i) => (code ? [{ line: i + 1, code, column: text.indexOf(at) + 1 }] : []));
    expect(got).toEqual(expected);
  });

  test("pvopc rejects exactly the lines GNU as rejects", () => {
    expect(compareWithGnu(source, result)).toEqual([]);
  });

  test("a frame in a numbered subsection is refused (its places would move when layout joins the subsection)", () => {
    const result = assemble(new SourceFile("sub.s", "\t.text 1\n\t.cfi_startproc\n\tret\n"));
    expect(result.diagnostics.map((d) => [d.code, d.file.position(d.span.start).line])).toEqual([["PV1030", 2]]);
  });

  test("what as reports at the end of the file, pvopc reports where it comes from", () => {
    const source = "f:\n\t.cfi_startproc\n\t.cfi_escape 0x100\n\t.cfi_return_column 300\n";
    const late = assemble(new SourceFile("late.s", source));
    expect(late.diagnostics.map((d) => [d.code, d.file.position(d.span.start).line, d.message])).toEqual([
      ["PV1017", 3, "value 0x100 does not fit in 8 bits"],
      ["PV1030", 2, "open CFI at the end of file; missing .cfi_endproc directive"],
      ["PV1013", 4, "return column number 300 overflows in CIE version 1"],
    ]);
    const gnu = withTempDir((dir) => {
      writeFileSync(join(dir, "late.s"), source);
      return tool("as", ["--64", "-o", "late.o", "late.s"], dir).stderr;
    });
    expect(gnu).toContain("Error: open CFI at the end of file; missing .cfi_endproc directive");
    expect(gnu).toContain("Error: return column number 300 overflows in CIE version 1");
    expect(gnu).toContain("Warning: value 0x100 truncated to 0x0");
  });
});
