/**
 * For each corpus source: as makes an object, readElf reads it, writeElf writes it back. The
 * two objects must be byte-identical, and binutils must see them alike (readelf, objdump, ld).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeElf } from "../../src/image/elf-write.js";
import type { Image } from "../../src/image/image.js";
import { withTempDir } from "../support/toolchain.js";
import { CORPUS_DIR, corpusSources, gnuObject, linkedBinary, onObject, readOk, tool } from "./oracle.js";

/** --defsym for each undefined symbol: small distinct values, so even 8-bit fields can hold them. */
function defsyms(image: Image): string[] {
  return image.symbols.filter((s) => s.section === undefined).flatMap((s, i) => ["--defsym", `${s.name}=${0x10 + i * 0x10}`]);
}

describe.each(corpusSources())("corpus $name", ({ text }) => {
  const gnu = gnuObject(text);
  const image = readOk(gnu);
  const ours = writeElf(image);

  it("is byte-identical to as's object", () => {
    expect(Buffer.from(ours).equals(Buffer.from(gnu))).toBe(true);
  });

  it("reads the same in readelf -a, with no warnings", () => {
    const theirs = onObject(gnu, "readelf", ["-a", "-W"]);
    const mine = onObject(ours, "readelf", ["-a", "-W"]);
    expect(mine.stderr).toBe("");
    expect(mine.stdout).toBe(theirs.stdout);
  });

  it("disassembles the same in objdump -d -r", () => {
    const mine = onObject(ours, "objdump", ["-d", "-r", "-w"]);
    expect(mine.stderr).toBe("");
    expect(mine.stdout).toBe(onObject(gnu, "objdump", ["-d", "-r", "-w"]).stdout);
  });

  it("is accepted by ld -r", () => {
    const r = onObject(ours, "ld", ["-r", "-o", "relinked.o"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("links to the same executable bytes as as's object", () => {
    const args = ["-e", "0", "-Ttext=0x401000", ...defsyms(image)];
    const mine = linkedBinary(ours, args);
    const theirs = linkedBinary(gnu, args);
    expect(mine).toEqual(theirs);
    // An object with no allocated bytes links to an executable objcopy finds empty.
    expect(mine.ok).toBe(image.sections.some((s) => s.flags.alloc && s.data.length > 0));
  });

  it("is a fixed point: reading and writing our object again changes nothing", () => {
    expect(Buffer.from(writeElf(readOk(ours))).equals(Buffer.from(ours))).toBe(true);
  });
});

/** gcc -c objects carry what hand-written assembly rarely does: .file, .comment, .eh_frame, DWARF, GOT relocations. */
describe.each([["-O2"], ["-O0 -g"], ["-O2 -fPIC"], ["-Os -ffunction-sections -fdata-sections"]])("gcc %s -c pvops.c", (flags) => {
  const gcc = withTempDir((dir) => {
    const r = tool("gcc", [...flags.split(" "), "-c", join(CORPUS_DIR, "pvops.c"), "-o", join(dir, "pvops.o")]);
    if (r.status !== 0) throw new Error(r.stderr);
    return new Uint8Array(readFileSync(join(dir, "pvops.o")));
  });

  it("reads and writes back byte-identical", () => {
    const image = readOk(gcc);
    expect(image.symbols.some((s) => s.type === "file")).toBe(true);
    expect(Buffer.from(writeElf(image)).equals(Buffer.from(gcc))).toBe(true);
  });
});
