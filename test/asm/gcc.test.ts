/**
 * What `gcc -S` emits for ordinary C, assembled by pvopc and by `as --64 --noexecstack`: the
 * objects must be byte-identical. The C sources are in test/asm/gcc/; gcc compiles them at test
 * time with each set of flags: unwind tables off (as the kernel builds) and on (.cfi_*),
 * position-dependent, -fPIC and -fPIE (GOT and TLS operators), common symbols, one section per
 * function.
 *
 * Every compile adds -mgeneral-regs-only (as the kernel; the table has no SSE).
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assemble } from "../../src/asm/assembler.js";
import { SourceFile } from "../../src/diag/diagnostic.js";
import { writeElf } from "../../src/image/elf-write.js";
import { gnuObject, onObject } from "../image/oracle.js";
import { run } from "../support/toolchain.js";

const SOURCES_DIR = join(import.meta.dirname, "gcc");
const SOURCES = readdirSync(SOURCES_DIR).filter((f) => f.endsWith(".c")).sort();
const FLAGS = [
  "-O2 -fno-asynchronous-unwind-tables",
  "-O0 -fno-asynchronous-unwind-tables",
  "-Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables",
  "-O2 -fcommon -fno-asynchronous-unwind-tables",
  "-O2",
  "-O0",
  "-O2 -fPIC",
  "-O3 -fPIE -fno-omit-frame-pointer",
];
const ALWAYS = ["-S", "-mgeneral-regs-only", "-o", "-"];

describe.each(SOURCES.flatMap((source) => FLAGS.map((flags) => ({ source, flags }))))("gcc $flags -S $source", ({ source, flags }) => {
  it("assembles to as's object byte for byte", () => {
    const text = run("gcc", [...flags.split(" "), ...ALWAYS, join(SOURCES_DIR, source)]);
    const result = assemble(new SourceFile(source.replace(/\.c$/, ".s"), text));
    expect(result.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
    const ours = writeElf(result.image);
    const gnu = gnuObject(text);
    expect(onObject(ours, "readelf", ["-a", "-W"]).stdout).toBe(onObject(gnu, "readelf", ["-a", "-W"]).stdout);
    expect(Buffer.from(ours).equals(Buffer.from(gnu))).toBe(true);
  });
});

describe("what gcc emits uses the directives this test is for", () => {
  it("`.file`, `.ident`, `.comm` and `.local` all appear", () => {
    const common = run("gcc", ["-O2", "-fcommon", "-fno-asynchronous-unwind-tables", ...ALWAYS, join(SOURCES_DIR, "common.c")]);
    for (const directive of [".file", ".ident", ".comm", ".local"]) expect(common).toContain(`\t${directive}\t`);
  });

  it("unwind tables, GOT, PLT and TLS operators appear", () => {
    const pic = run("gcc", ["-O2", "-fPIC", ...ALWAYS, join(SOURCES_DIR, "lists.c")]);
    for (const used of [".cfi_startproc", "@GOTPCREL", "@PLT", "@tlsgd", "@tlsld", "@dtpoff"]) expect(pic).toContain(used);
  });
});
