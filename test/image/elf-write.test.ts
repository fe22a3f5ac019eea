/**
 * writeElf on Images written the way an assembler produces them — relocations against labels,
 * `.L` labels included, no section symbols, no empty standard sections — must still give as's
 * object: the writer makes as's relocation adjustments and derives what as adds on its own.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readElf } from "../../src/image/elf-read.js";
import { writeElf } from "../../src/image/elf-write.js";
import { RELOCATION_NUMBERS, defaultSectionAttributes, type Image, type ImageSymbol, type Relocation, type RelocationType, type Section } from "../../src/image/image.js";
import { RELOCATION_WIDTHS } from "../../src/image/elf.js";
import { gnuObject, onObject, readOk } from "./oracle.js";

/** as's sections for `source` (bytes, flags, alignment), with our own relocations. */
function sectionsOf(gnu: Image, relocations: Record<string, Relocation[]>): Section[] {
  return Object.keys(relocations).map((name) => ({ ...gnu.sections.find((s) => s.name === name)!, relocations: relocations[name]! }));
}

function label(name: string, section: string | undefined, value: number, binding: ImageSymbol["binding"] = "local"): ImageSymbol {
  return { name, section, value: BigInt(value), size: 0n, binding, type: "notype" };
}

function sectionSymbol(name: string): ImageSymbol {
  return { name, section: name, value: 0n, size: 0n, binding: "local", type: "section" };
}

function expectSameObject(ours: Uint8Array, gnu: Uint8Array): void {
  expect(onObject(ours, "readelf", ["-a", "-W"]).stdout).toBe(onObject(gnu, "readelf", ["-a", "-W"]).stdout);
  expect(Buffer.from(ours).equals(Buffer.from(gnu))).toBe(true);
}

describe("writeElf on an assembler's symbolic Image", () => {
  it("adjusts relocations, keeps needed .L labels and converts local PLT32 as as does", () => {
    const source = `
	.text
	.globl	f
f:
	leaq	.Lmsg(%rip), %rdi
	leaq	local(%rip), %rsi
	call	g
	call	other@PLT
	ret
	.data
	.quad	0
local:
	.quad	.Ltmp
	.section .rodata.str1.1,"aMS",@progbits,1
.Lmsg:
	.string	"x"
	.section .text.x,"ax",@progbits
	nop
.Ltmp:
	nop
other:
	ret
`;
    const gnu = gnuObject(source);
    const image: Image = {
      sections: sectionsOf(readOk(gnu), {
        ".text": [
          { offset: 3, type: "R_X86_64_PC32", symbol: ".Lmsg", addend: -4n },
          { offset: 0xa, type: "R_X86_64_PC32", symbol: "local", addend: -4n },
          { offset: 0xf, type: "R_X86_64_PLT32", symbol: "g", addend: -4n },
          { offset: 0x14, type: "R_X86_64_PLT32", symbol: "other", addend: -4n },
        ],
        ".data": [{ offset: 8, type: "R_X86_64_64", symbol: ".Ltmp", addend: 0n }],
        ".rodata.str1.1": [],
        ".text.x": [],
      }),
      // as's list: mentions in order, section symbols at their .section, and .Lmsg — a forward
      // reference, so outside the list until its relocation is written — last.
      symbols: [
        label("f", ".text", 0, "global"),
        label("local", ".data", 8),
        label("g", undefined, 0, "global"),
        label("other", ".text.x", 2),
        sectionSymbol(".rodata.str1.1"),
        sectionSymbol(".text.x"),
        label(".Ltmp", ".text.x", 1),
        label(".Lmsg", ".rodata.str1.1", 0),
      ],
    };
    expectSameObject(writeElf(image), gnu);
  });

  it("places section symbols the Image does not carry where as creates them", () => {
    const source = `
	.section .text.helpers,"ax",@progbits
	nop
helper:	ret
	.section .rodata.obj,"a"
	.p2align 3
obj:	.quad	helper
	.text
	.globl	start
start:	call	helper
	movq	$obj, %rax
	leaq	buffer(%rip), %rdi
	ret
	.bss
buffer:	.zero	8
`;
    const gnu = gnuObject(source);
    const image: Image = {
      sections: sectionsOf(readOk(gnu), {
        ".text.helpers": [],
        ".rodata.obj": [{ offset: 0, type: "R_X86_64_64", symbol: "helper", addend: 0n }],
        ".text": [
          { offset: 1, type: "R_X86_64_PLT32", symbol: "helper", addend: -4n },
          { offset: 8, type: "R_X86_64_32S", symbol: "obj", addend: 0n },
          { offset: 0xf, type: "R_X86_64_PC32", symbol: "buffer", addend: -4n },
        ],
        ".bss": [],
      }),
      symbols: [label("helper", ".text.helpers", 1), label("obj", ".rodata.obj", 0), label("start", ".text", 0, "global"), label("buffer", ".bss", 0)],
    };
    expectSameObject(writeElf(image), gnu);
  });

  it("makes an undeclared relocation target an undefined global, and an undefined local global", () => {
    const text: Section = {
      name: ".text",
      kind: "progbits",
      flags: { alloc: true, write: false, exec: true },
      align: 1,
      data: new Uint8Array([0xe8, 0, 0, 0, 0, 0xe8, 0, 0, 0, 0]),
      relocations: [
        { offset: 1, type: "R_X86_64_PLT32", symbol: "nowhere", addend: -4n },
        { offset: 6, type: "R_X86_64_PLT32", symbol: "declared_local", addend: -4n },
      ],
    };
    const gnu = gnuObject("\tcall nowhere\n\tcall declared_local\n");
    const ours = writeElf({ sections: [text], symbols: [label("declared_local", undefined, 0)] });
    // as creates both at their mention; ours appends the undeclared one: the same symbols in another order.
    const symbols = (o: Uint8Array) => onObject(o, "readelf", ["-s", "-W"]).stdout.split("\n").filter((l) => /UND [a-z]/.test(l)).map((l) => l.replace(/^\s*\d+:/, "")).sort();
    expect(symbols(ours)).toEqual(symbols(gnu));
    expect(symbols(ours)).toHaveLength(2);
  });

  it("is deterministic", () => {
    const image = readOk(gnuObject("\t.globl a\na:\tcall b\n\t.data\n\t.quad a\n"));
    expect(Buffer.from(writeElf(image)).equals(Buffer.from(writeElf(image)))).toBe(true);
  });
});

/** Random Images: a few sections, symbols in and out of them, relocations against both. */
const arbitraryImage: fc.Arbitrary<Image> = fc
  .record({
    sectionNames: fc.uniqueArray(fc.constantFrom(".text", ".data", ".bss", ".rodata", ".parainstructions", ".text.unlikely", ".data.pv_ops", ".init_array"), { minLength: 1, maxLength: 5 }),
    symbolNames: fc.uniqueArray(fc.constantFrom("f", "g", "pv_ops", "local_1", ".Ltmp", ".LC0", "x.y", "next", "ext"), { maxLength: 8 }),
    seeds: fc.array(fc.nat(), { minLength: 64, maxLength: 64 }),
  })
  .map(({ sectionNames, symbolNames, seeds }) => {
    let i = 0;
    const pick = <T>(items: readonly T[]): T => items[seeds[i++ % seeds.length]! % items.length]!;
    const sections: Section[] = sectionNames.map((name) => {
      const { kind, flags } = defaultSectionAttributes(name);
      const size = pick([0, 8, 24, 40]);
      return { name, kind, flags, align: pick([1, 2, 4, 8, 16]), data: new Uint8Array(size).map(() => pick([0, 0x90, 0xe8, 0xff])), relocations: [] };
    });
    const symbols: ImageSymbol[] = symbolNames.map((name) => {
      const home = pick([...sections.map((s) => s.name), undefined, "*ABS*"]);
      const size = sections.find((s) => s.name === home)?.data.length ?? 0;
      return { name, section: home, value: BigInt(pick([0, size])), size: BigInt(pick([0, 4])), binding: pick(["local", "global", "weak"] as const), type: pick(["notype", "func", "object"] as const) };
    });
    const targets = [...symbolNames, ...sectionNames];
    const withRelocations = sections.map((s) => {
      if (s.kind === "nobits" || s.data.length < 8 || !targets.length) return s;
      const relocations: Relocation[] = [];
      for (let at = 0; at + 8 <= s.data.length; at += 8) {
        const type = pick(Object.keys(RELOCATION_NUMBERS) as RelocationType[]);
        if (RELOCATION_WIDTHS[type] <= 8) relocations.push({ offset: at, type, symbol: pick(targets), addend: BigInt(pick([0, -4, 3, 100])) });
      }
      return { ...s, relocations };
    });
    return { sections: withRelocations, symbols };
  });

describe("writeElf on random Images", () => {
  it("writes objects binutils read without complaint, readElf reads, and rewriting does not change", () => {
    fc.assert(
      fc.property(arbitraryImage, (image) => {
        const ours = writeElf(image);
        expect(onObject(ours, "readelf", ["-a", "-W"]).stderr).toBe("");
        const relinked = onObject(ours, "ld", ["-r", "-o", "relinked.o"]);
        expect(relinked.stderr).toBe("");
        const again = readElf(ours);
        if (!again.ok) throw new Error(again.error);
        expect(Buffer.from(writeElf(again.image)).equals(Buffer.from(ours))).toBe(true);
      }),
      { seed: 0xe1f, numRuns: 40 },
    );
  });
});
