/**
 * readElf: what it reads out of as's objects, what it refuses with an error value, and that no
 * byte string — truncated, random, or a real object with bits flipped — makes it throw.
 */
import fc from "fast-check";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readElf } from "../../src/image/elf-read.js";
import { writeElf } from "../../src/image/elf-write.js";
import { findSection, findSymbol } from "../../src/image/image.js";
import { withTempDir } from "../support/toolchain.js";
import { corpusSources, gnuObject, readOk, tool } from "./oracle.js";

function readError(bytes: Uint8Array): string {
  const r = readElf(bytes);
  if (r.ok) throw new Error("expected an error");
  return r.error;
}

describe("readElf reads", () => {
  const image = readOk(gnuObject(corpusSources().find((c) => c.name === "parainstructions")!.text));

  it("sections with bytes, flags and alignment", () => {
    const para = findSection(image, ".parainstructions")!;
    expect(para).toMatchObject({ kind: "progbits", flags: { alloc: true, write: false, exec: false }, align: 8 });
    expect([...para.data.subarray(8, 12)]).toEqual([1, 6, 0xff, 0x01]);
    expect(findSection(image, ".bss")).toMatchObject({ kind: "nobits", flags: { alloc: true, write: true, exec: false } });
    expect(findSection(image, ".note.GNU-stack")).toMatchObject({ kind: "progbits", flags: { alloc: false, write: false, exec: false } });
  });

  it("symbols with binding, type, size and value", () => {
    expect(findSymbol(image, "__raw_callee_save_xen_save_fl")).toMatchObject({ section: ".text", binding: "global", type: "func", value: 2n, size: 30n });
    expect(findSymbol(image, "xen_save_fl")).toMatchObject({ section: undefined, binding: "global", type: "notype" });
  });

  it("relocations, naming a section symbol by its section", () => {
    expect(findSection(image, ".parainstructions")!.relocations).toEqual([
      { offset: 0, type: "R_X86_64_64", symbol: ".text", addend: 0x20n },
      { offset: 16, type: "R_X86_64_64", symbol: ".text", addend: 0x26n },
    ]);
    expect(findSymbol(image, ".text")).toMatchObject({ type: "section", section: ".text" });
  });

  it("merge and string flags, entry sizes, common and absolute symbols, visibility", () => {
    const sections = readOk(gnuObject(corpusSources().find((c) => c.name === "sections")!.text));
    expect(findSymbol(sections, "shared")).toMatchObject({ section: "*COM*", value: 32n, size: 64n });
    expect(findSymbol(sections, "answer")).toMatchObject({ section: "*ABS*", value: 42n });
    expect(findSymbol(sections, "hidden_fn")?.visibility).toBe("hidden");
    expect(findSection(sections, ".init_array")?.entsize).toBe(8);
    const merge = readOk(gnuObject(corpusSources().find((c) => c.name === "merge")!.text));
    expect(findSection(merge, ".rodata.str1.1")).toMatchObject({ flags: { merge: true, strings: true }, entsize: 1 });
  });
});

describe("readElf refuses", () => {
  const object = gnuObject("\t.globl f\nf:\tcall g\n\t.data\n\t.quad f\n");

  it("what is not an ELF64 little-endian x86-64 relocatable object", () => {
    expect(readError(new Uint8Array(10))).toMatch(/too short/);
    expect(readError(new TextEncoder().encode("#!/bin/sh\n".repeat(10)))).toMatch(/e_ident/);
    const bigEndian = object.slice();
    bigEndian[5] = 2;
    expect(readError(bigEndian)).toMatch(/e_ident/);
    const i386 = object.slice();
    i386[18] = 3;
    expect(readError(i386)).toMatch(/e_machine/);
    withTempDir((dir) => {
      writeFileSync(join(dir, "in.o"), object);
      expect(tool("ld", ["-e", "f", "--defsym", "g=0", "-o", "out", "in.o"], dir).status).toBe(0);
      expect(readError(new Uint8Array(readFileSync(join(dir, "out"))))).toMatch(/ET_REL/);
    });
  });

  it("section groups and 32-bit REL objects", () => {
    expect(readError(gnuObject('\t.section .text.f,"axG",@progbits,f,comdat\nf:\tret\n'))).toMatch(/unsupported type 17/);
    withTempDir((dir) => {
      writeFileSync(join(dir, "in.s"), "\tcall g\n");
      tool("as", ["--32", "-o", join(dir, "in.o"), join(dir, "in.s")]);
      expect(readError(new Uint8Array(readFileSync(join(dir, "in.o"))))).toMatch(/e_ident/);
    });
  });

  it("relocations outside their section and unknown relocation types", () => {
    const image = readOk(object);
    const data = findSection(image, ".data")!;
    const bad = (r: object) => writeElf({ ...image, sections: image.sections.map((s) => (s === data ? { ...s, relocations: [{ ...data.relocations[0]!, ...r }] } : s)) });
    expect(readError(bad({ offset: 4 }))).toMatch(/outside the section/);
    const withUnknownType = bad({});
    const view = new DataView(withUnknownType.buffer);
    const relaData = findRelaEntry(withUnknownType, ".rela.data");
    view.setUint32(relaData + 8, 37, true);
    expect(readError(withUnknownType)).toMatch(/unsupported type 37/);
  });

  it("a relocation against a file symbol", () => {
    // `call g` relocates against the undefined g, the last symbol; make it a file symbol.
    const bytes = gnuObject("\tcall g\n").slice();
    const view = new DataView(bytes.buffer);
    const symtab = findSectionHeader(bytes, ".symtab");
    const last = Number(view.getBigUint64(symtab + 24, true) + view.getBigUint64(symtab + 32, true)) - 24;
    view.setUint8(last + 4, (view.getUint8(last + 4) & 0xf0) | 4);
    expect(readError(bytes)).toMatch(/names the file symbol 'g'/);
  });
});

/** File offset of the named section's header. */
function findSectionHeader(object: Uint8Array, name: string): number {
  const view = new DataView(object.buffer, object.byteOffset, object.byteLength);
  const shoff = Number(view.getBigUint64(40, true));
  const shnum = view.getUint16(60, true);
  const shstr = shoff + view.getUint16(62, true) * 64;
  const strOff = Number(view.getBigUint64(shstr + 24, true));
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * 64;
    const nameAt = strOff + view.getUint32(at, true);
    const found = new TextDecoder().decode(object.subarray(nameAt, object.indexOf(0, nameAt)));
    if (found === name) return at;
  }
  throw new Error(`no section ${name}`);
}

/** File offset of the first entry of the named relocation section. */
function findRelaEntry(object: Uint8Array, name: string): number {
  const view = new DataView(object.buffer, object.byteOffset, object.byteLength);
  return Number(view.getBigUint64(findSectionHeader(object, name) + 24, true));
}

/**
 * A result is either an Image or an error; an Image the writer turns into an object must read
 * back, and writing that again must change nothing.
 */
function checkReadsSafely(bytes: Uint8Array): void {
  const r = readElf(bytes);
  if (!r.ok) {
    expect(typeof r.error).toBe("string");
    return;
  }
  const written = writeElf(r.image);
  const again = readElf(written);
  if (!again.ok) throw new Error(`rewritten object does not read: ${again.error}`);
  expect(Buffer.from(writeElf(again.image)).equals(Buffer.from(written))).toBe(true);
}

describe("readElf never throws", () => {
  const objects = corpusSources().map((c) => gnuObject(c.text));
  const real = objects.reduce((a, b) => (b.length > a.length ? b : a));

  it("on every truncation of a real object", () => {
    for (let n = 0; n < real.length; n++) checkReadsSafely(real.subarray(0, n));
  });

  it("on random bytes, with and without an ELF header", () => {
    const header = real.subarray(0, 64);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.boolean(), (noise, withHeader) => {
        const bytes = withHeader ? new Uint8Array([...header, ...noise]) : noise;
        checkReadsSafely(bytes);
      }),
      { seed: 0x5eed, numRuns: 500 },
    );
  });

  it("on real objects with bits flipped", () => {
    fc.assert(
      fc.property(fc.constantFrom(...objects), fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), (object, positions) => {
        const bytes = object.slice();
        for (const p of positions) bytes[(p >> 3) % bytes.length]! ^= 1 << (p & 7);
        checkReadsSafely(bytes);
      }),
      { seed: 0xf11b, numRuns: 3000 },
    );
  });

  it("on real objects with header and table fields overwritten", () => {
    fc.assert(
      fc.property(fc.constantFrom(...objects), fc.nat(), fc.constantFrom(1, 2, 4, 8), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (object, at, width, value) => {
        const bytes = object.slice();
        const view = new DataView(bytes.buffer);
        const offset = at % Math.max(1, bytes.length - width);
        if (width === 1) view.setUint8(offset, Number(value & 0xffn));
        if (width === 2) view.setUint16(offset, Number(value & 0xffffn), true);
        if (width === 4) view.setUint32(offset, Number(value & 0xffffffffn), true);
        if (width === 8) view.setBigUint64(offset, value, true);
        checkReadsSafely(bytes);
      }),
      { seed: 0xf1e1d, numRuns: 3000 },
    );
  });
});
