/**
 * What `gcc -S` emits for ordinary C with unwind tables off (as the kernel builds), assembled
 * by pvopc and by `as --64 --noexecstack`: the objects must be byte-identical. The C sources
 * are in test/asm/gcc/; gcc compiles them at test time with each set of flags.
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
const FLAGS = ["-O2", "-O0", "-Os -ffunction-sections -fdata-sections", "-O2 -fcommon"];
const ALWAYS = ["-S", "-fno-asynchronous-unwind-tables", "-mgeneral-regs-only", "-o", "-"];

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
    const common = run("gcc", ["-O2", "-fcommon", ...ALWAYS, join(SOURCES_DIR, "common.c")]);
    for (const directive of [".file", ".ident", ".comm", ".local"]) expect(common).toContain(`\t${directive}\t`);
  });
});
