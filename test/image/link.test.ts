/**
 * link() against GNU ld: the same object placed at the same addresses must give the same bytes
 * in every allocated section. ld is told our layout with a linker script that puts each input
 * section in an output section of its own name at our address.
 */
import fc from "fast-check";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Image, Relocation } from "../../src/image/image.js";
import { COMMON_SEGMENT, GOT_SEGMENT, link, linkSupports, type LinkOptions, type LinkedImage } from "../../src/image/link.js";
import { withTempDir } from "../support/toolchain.js";
import { corpusSources, gnuObject, linkedBinary, readOk, sectionAddresses, tool } from "./oracle.js";

function linkOk(image: Image, options: LinkOptions): LinkedImage {
  const r = link(image, options);
  if (!r.ok) throw new Error(r.errors.join("\n"));
  return r.linked;
}

/** Small distinct addresses for the undefined symbols, so 8-bit fields can hold them too. */
function externals(image: Image): Map<string, bigint> {
  return new Map(image.symbols.filter((s) => s.section === undefined && s.name !== "_GLOBAL_OFFSET_TABLE_").map((s, i) => [s.name, BigInt(0x10 + i * 0x10)]));
}

const hex = (v: bigint) => "0x" + v.toString(16);

/**
 * A linker script that reproduces `linked`'s placement, section by section, with ld's own
 * .got.plt (three reserved words that nothing here reads) out of the way at the end.
 */
function scriptFor(linked: LinkedImage): string {
  const lines = linked.segments.map((s) => {
    const input = s.name === COMMON_SEGMENT ? "*(COMMON)" : s.name === GOT_SEGMENT ? "*(.got)" : `*(${s.name})`;
    const name = s.name === COMMON_SEGMENT ? ".common" : s.name;
    return `  ${name} ${hex(s.address)} : { ${input} }`;
  });
  const end = linked.segments.reduce((a, s) => (s.address + BigInt(s.bytes.length) > a ? s.address + BigInt(s.bytes.length) : a), 0n);
  lines.push(`  .got.plt ${hex((end + 0x100n) & ~0xffn)} : { *(.got.plt) }`);
  return `SECTIONS {\n${lines.join("\n")}\n}\n`;
}

/** Flags every ld run here shares: no GOT relaxation (link() does none), no entry symbol, no RWX nag. */
const LD = ["--no-relax", "--no-warn-rwx-segments", "-e", "0"];

/** ld's output: each section's address and, unless NOBITS, its bytes. */
function ldSections(object: Uint8Array, args: readonly string[], names: readonly string[]): Map<string, { address: bigint; bytes: Uint8Array }> {
  return withTempDir((dir) => {
    writeFileSync(join(dir, "obj.o"), object);
    const ld = tool("ld", [...args, "-o", "out.elf", "obj.o"], dir);
    if (ld.status !== 0 || ld.stderr) throw new Error(`ld: ${ld.stderr}`);
    const elf = new Uint8Array(readFileSync(join(dir, "out.elf")));
    const addresses = sectionAddresses(elf);
    const result = new Map<string, { address: bigint; bytes: Uint8Array }>();
    for (const name of names) {
      const copy = tool("objcopy", ["-O", "binary", `--only-section=${name}`, "out.elf", "sec.bin"], dir);
      if (copy.status !== 0) throw new Error(copy.stderr);
      result.set(name, { address: addresses.get(name)!, bytes: new Uint8Array(readFileSync(join(dir, "sec.bin"))) });
    }
    return result;
  });
}

type Placed = { address: bigint; bytes: Uint8Array };

/**
 * ld orders GOT entries by its symbol hash table, link() by first use, so a GOT field is
 * compared by what it reaches — the address in the GOT entry it points at — and the GOTs as
 * sets of entries.
 */
function resolveGotFields(section: Placed, got: Placed | undefined, relocations: readonly Relocation[]): { bytes: string; reached: bigint[] } {
  const bytes = section.bytes.slice();
  const view = new DataView(bytes.buffer);
  const reached: bigint[] = [];
  for (const r of relocations.filter((r) => r.type.includes("GOTPCREL"))) {
    const entry = section.address + BigInt(r.offset) + BigInt(view.getInt32(r.offset, true)) - r.addend;
    reached.push(new DataView(got!.bytes.buffer).getBigUint64(Number(entry - got!.address), true));
    view.setInt32(r.offset, 0, true);
  }
  return { bytes: Buffer.from(bytes).toString("hex"), reached };
}

function gotEntries(got: Placed): string[] {
  return Buffer.from(got.bytes).toString("hex").match(/.{16}/g)!.sort();
}

/**
 * ld edits .eh_frame as it links (it merges equal CIEs and trims padding), which link() does
 * not: it places the section as it is, relocated.
 */
const EDITED_BY_LD = ".eh_frame";

function expectSameAsLd(object: Uint8Array, linked: LinkedImage, ldArgs: readonly string[]): void {
  const image = readOk(object);
  // ld drops empty output sections, and objcopy has no bytes of NOBITS ones.
  const loaded = linked.segments.filter((s) => s.bytes.length > 0 && s.name !== EDITED_BY_LD && image.sections.find((x) => x.name === s.name)?.kind !== "nobits");
  const names = loaded.map((s) => (s.name === COMMON_SEGMENT ? ".common" : s.name));
  const ld = ldSections(object, ldArgs, names);
  const ourGot = linked.segments.find((s) => s.name === GOT_SEGMENT);
  for (const [i, segment] of loaded.entries()) {
    const theirs = ld.get(names[i]!)!;
    expect({ name: segment.name, address: hex(segment.address) }).toEqual({ name: segment.name, address: hex(theirs.address) });
    if (segment.name === GOT_SEGMENT) expect(gotEntries(segment)).toEqual(gotEntries(theirs));
    else if (segment.name !== COMMON_SEGMENT) {
      const relocations = image.sections.find((s) => s.name === segment.name)!.relocations;
      expect(resolveGotFields(segment, ourGot, relocations)).toEqual(resolveGotFields(theirs, ld.get(GOT_SEGMENT), relocations));
    }
  }
}

function defsyms(map: ReadonlyMap<string, bigint>): string[] {
  return [...map].flatMap(([name, value]) => ["--defsym", `${name}=${hex(value)}`]);
}

describe.each(corpusSources())("link corpus $name", ({ text }) => {
  const object = gnuObject(text);
  const image = readOk(object);
  const unsupported = image.sections.flatMap((s) => s.relocations.filter((r) => !linkSupports(r.type)).map((r) => `${s.name}+0x${r.offset.toString(16)}: ${r.type}`));

  // Objects with relocations link() does not apply are refused, each named; the others must link as ld does.
  const what = unsupported.length ? "refuses the relocations it cannot apply, naming each" : "gives ld's bytes for the same placement";
  it(what, () => {
    const ext = externals(image);
    if (unsupported.length) {
      const r = link(image, { base: 0x400000n, externals: ext });
      expect(r.ok).toBe(false);
      const errors = r.ok ? [] : r.errors;
      for (const place of unsupported) expect(errors.some((e) => e.startsWith(place) && e.includes("is not supported by this link"))).toBe(true);
      return;
    }
    const linked = linkOk(image, { base: 0x400000n, externals: ext });
    withTempDir((dir) => {
      writeFileSync(join(dir, "script.ld"), scriptFor(linked));
      expectSameAsLd(object, linked, [...LD, "-T", join(dir, "script.ld"), ...defsyms(ext)]);
    });
  });
});

describe("link", () => {
  const source = `
	.text
	.globl	_start
_start:
	call	helper
	movq	$table, %rax
	movl	$buffer+4, %ecx
	leaq	table(%rip), %rdx
	movq	outside@GOTPCREL(%rip), %rsi
	ret
helper:
	ret
	.data
	.p2align 3
table:	.quad	_start, helper+1, outside
	.long	table - .
	.bss
	.p2align 4
buffer:	.zero	32
`;
  const object = gnuObject(source);
  const image = readOk(object);
  const outside = new Map([["outside", 0x1234n]]);

  it("matches ld -Ttext -Tdata -Tbss", () => {
    const options: LinkOptions = { sectionAddresses: new Map([[".text", 0x401000n], [".data", 0x600000n], [".bss", 0x700000n]]), externals: outside };
    const args = [...LD, "-Ttext=0x401000", "-Tdata=0x600000", "-Tbss=0x700000", ...defsyms(outside)];
    const got = sectionAddresses(withTempDir((dir) => {
      writeFileSync(join(dir, "obj.o"), object);
      tool("ld", [...args, "-o", "out.elf", "obj.o"], dir);
      return new Uint8Array(readFileSync(join(dir, "out.elf")));
    })).get(".got")!;
    const linked = linkOk(image, { ...options, gotAddress: got });
    expectSameAsLd(object, linked, args);
    expect(linked.symbols.get("helper")).toBe(0x401000n + 0x20n);
    expect(linked.segments.map((s) => [s.name, s.read, s.write, s.exec])).toEqual([
      [".text", true, false, true],
      [".data", true, true, false],
      [".bss", true, true, false],
      [".got", true, true, false],
    ]);
  });

  it("gives ld's bytes wherever the sections go", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0x100n, max: 0x7fff000n }), fc.bigInt({ min: 0n, max: 0x10000n }), (textBlock, gap) => {
        const text = textBlock * 16n;
        const data = text + 0x1000n + gap * 16n;
        const linked = linkOk(image, { sectionAddresses: new Map([[".text", text], [".data", data]]), externals: outside });
        expectSameAsLd(object, linked, [...LD, `-Ttext=${hex(text)}`, `-Tdata=${hex(data)}`, `-Tbss=${hex(linked.segments[2]!.address)}`, `--section-start=.got=${hex(linked.segments[3]!.address)}`, ...defsyms(outside)]);
      }),
      { seed: 0x11c, numRuns: 8 },
    );
  });

  it("reports undefined symbols, overflow, overlap and unknown sections as errors, as ld refuses them", () => {
    expect(link(image, {})).toEqual({ ok: false, errors: expect.arrayContaining([expect.stringMatching(/'outside' has no address/)]) });
    const high = { sectionAddresses: new Map([[".text", 0x100000000n]]), externals: outside };
    const r = link(image, high);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.some((e) => /^\.text\+0x8: R_X86_64_32S against '\.data'.*does not fit in 32 bits/.test(e))).toBe(true);
    expect(linkedBinary(object, [...LD, "-Ttext=0x100000000", ...defsyms(outside)]).ok).toBe(false);
    const overlap = link(image, { sectionAddresses: new Map([[".text", 0x1000n], [".data", 0x1010n]]), externals: outside });
    expect(overlap.ok ? [] : overlap.errors).toContain("sections .text and .data overlap");
    const unknown = link(image, { sectionAddresses: new Map([[".nope", 0n]]), externals: outside });
    expect(unknown.ok ? [] : unknown.errors).toContain("no allocated section '.nope' to place");
  });

  it("resolves an undefined weak symbol to 0 and lays sections out consecutively with alignment", () => {
    const weak = readOk(gnuObject("\t.weak w\n\t.text\n\tnop\n\t.data\n\t.p2align 4\nd:\t.quad w\n"));
    const linked = linkOk(weak, { base: 0x1001n });
    expect(linked.segments.map((s) => [s.name, hex(s.address)])).toEqual([
      [".text", "0x1001"],
      [".data", "0x1010"],
      [".bss", "0x1018"],
    ]);
    expect([...linked.segments[1]!.bytes]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(weak.symbols.find((s) => s.name === "w")).toMatchObject({ section: undefined, binding: "weak" });
  });
});
