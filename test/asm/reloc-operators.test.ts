/**
 * Relocation operators (`sym@GOTPCREL`, `sym@TPOFF`, ...) against GNU as: sources that use them
 * the way gcc does for -fPIC, -fPIE and thread-local variables, and the uses ld cannot link
 * (which the linked corpus in test/image leaves out), must give objects byte-identical to as's.
 */
import { describe, expect, it } from "vitest";
import { assemble } from "../../src/asm/assembler.js";
import { SourceFile } from "../../src/diag/diagnostic.js";
import { writeElf } from "../../src/image/elf-write.js";
import { gnuObject, onObject } from "../image/oracle.js";
import { gccAssembly } from "../support/toolchain.js";

/** pvopc's object for `source`, failing on any error diagnostic. */
function pvopcObject(source: string): Uint8Array {
  const result = assemble(new SourceFile("in.s", source));
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  expect(errors.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  return writeElf(result.image);
}

function expectSameObject(source: string): void {
  const ours = pvopcObject(source);
  const gnu = gnuObject(source);
  expect(onObject(ours, "readelf", ["-a", "-W"]).stdout).toBe(onObject(gnu, "readelf", ["-a", "-W"]).stdout);
  expect(Buffer.from(ours).equals(Buffer.from(gnu))).toBe(true);
}

/**
 * Uses as accepts that a link against --defsym values cannot take: TLS relocations against
 * undefined symbols (which become STT_TLS), data fields of the TLS code models, TLSDESC, and
 * the 64-bit TLS and GOTPCREL forms; and odd spellings: blanks around @, `sym - .` and `sym - label` after
 * an operator (as counts those from the statement's start less the field size), and a GOT
 * symbol less a label (GOTPC64 with no instruction offset).
 */
const UNLINKABLE = `
	.text
	data16	leaq gd@tlsgd(%rip), %rdi
	.value	0x6666
	rex64
	call	__tls_get_addr@PLT
	leaq	ld@tlsld(%rip), %rdi
	movq	ie@gottpoff(%rip), %rax
	movq	ie@gottpoff(%rbx), %rax
	movl	$ie@tlsdesc, %eax
	leaq	gd@tlsdesc(%rip), %rax
	call	*gd@TLSCALL(%rax)
	call	*ie@tlscall(%rdi)
	call	gd@tlsgd
	movq	$gd@tlsgd, %rax
	movabsq	$ld@dtpoff, %rcx
	movabsq	$le@tpoff, %rcx
	movl	%fs:le@tpoff, %eax
	rex64 call *fn@GOTPCREL(%rip)
	.data
d:
	.long	gd@tlsgd
	.long	ld@tlsld - .
	.long	ie@gottpoff
	.long	ie@gottpoff - .
	.long	gd@tlsdesc
	.long	gd@tlsdesc - .
	.long	le@tpoff - .
	.quad	ld@dtpoff
	.long	sym@SIZE+0x100000000
	.long	sym@PLT - 0
	.long	foo @GOT
	.long	foo@ GOT
	.long	foo@GOT - d
	.long	foo@GOTPCREL - d
	.quad	foo@GOTPCREL
	.quad	foo@GOTPCREL + 8
	.text
	movq	foo @GOTPCREL(%rip), %rax
	movq	$foo @ GOT, %rax
	movq	$foo@GOT-., %rax
	movq	$8+foo@GOT, %rax
	movabsq	$_GLOBAL_OFFSET_TABLE_-g, %r11
g:
	ret
`;

describe("relocation operators ld cannot link", () => {
  it("assemble to as's object", () => expectSameObject(UNLINKABLE));

  it("refuse a function accessed as thread-local, as as does (it names no line)", () => {
    const source = "\t.type fn, @function\nfn:\tmovl %fs:fn@tpoff, %eax\n";
    expect(() => gnuObject(source)).toThrow(/Accessing function `fn' as thread-local object/);
    const result = assemble(new SourceFile("in.s", source));
    expect(result.diagnostics.map((d) => [d.code, d.message])).toEqual([["PV1020", "accessing function 'fn' as thread-local object"]]);
  });
});

/**
 * Integer-only C (pvopc has no SSE instructions), every static initialised: gcc writes an
 * uninitialised static as `.local x` + `.comm x`, which pvopc does not support yet, even with
 * -fno-common.
 */
const PIC_SOURCE = `
extern int ext_var;
extern int ext_array[];
extern void ext_fn(int);
extern int ext_fn2(const char *);
static int counter = 1;
int global_var = 2;
static const char *const names[] = { "zero", "one", "two" };
static const long scale[] = { 15, 25 };
static int local_fn(int x) { return x * 3 + counter; }
int (*fn_ptr)(int) = local_fn;
__attribute__((noinline)) int callee(int x) { return x + global_var; }
int uses(int i) {
  ext_fn(i);
  counter += ext_var + ext_array[i];
  global_var++;
  ext_fn2(names[i % 3]);
  return local_fn(i) + callee(i) + fn_ptr(i) + (int)(scale[i & 1] * i);
}
int tail(int i) { return ext_fn2("tail"); }
void *addr_of_fn(void) { return (void *)ext_fn; }
int *addr_of_var(void) { return &ext_var; }
int sw(int i) { switch (i) { case 0: return 4; case 1: return 7; case 2: return 11; case 3: return 13; case 4: return 19; case 5: return 23; default: return 0; } }
extern int f1(int), f2(int), f3(int), f4(int), f5(int), f6(int);
int jump_table(int i, int x) { switch (i) { case 0: return f1(x); case 1: return f2(x) + 1; case 2: return f3(x) * 3; case 3: return f4(x) - 7; case 4: return f5(x) ^ 9; case 5: return f6(x) | 5; case 7: return x; default: return -1; } }
`;

/**
 * -fPIC gives the general and local dynamic TLS models (with -mtls-dialect=gnu2 through TLS
 * descriptors: @TLSDESC and @TLSCALL), -fPIE and no PIC initial and local exec.
 */
const TLS_SOURCE = `
extern __thread int ext_tls;
__thread int def_tls = 3;
static __thread int static_tls = 4;
__thread long zero_tls = 0;
static __thread char buf[32] = { 1 };
int read_all(int i) { return ext_tls + def_tls + static_tls + (int)zero_tls + buf[i & 31]; }
void write_all(int v) { ext_tls = v; def_tls = v; static_tls = v; zero_tls = v; buf[v & 31] = (char)v; }
int *addr(void) { return &static_tls; }
`;

describe.each([
  ["pic", PIC_SOURCE],
  ["tls", TLS_SOURCE],
])("gcc -S of %s.c", (_name, source) => {
  it.each([["-O2 -fPIC"], ["-O2 -fPIE"], ["-O2 -fno-pic"], ["-O0 -fPIC"], ["-Os -fPIC"], ["-Os -fPIE"], ["-O2 -fPIC -mtls-dialect=gnu2"]])("%s assembles to as's object", (flags) => {
    const assembly = gccAssembly("in.c", source, ["-fno-common", "-fno-asynchronous-unwind-tables", ...flags.split(" ")]);
    expectSameObject(assembly);
  });
});
