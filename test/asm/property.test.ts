/**
 * Differential test (2): random instructions generated from FORMS (registers of every width,
 * displacements and immediates at their boundaries, every scale and addressing shape, rip,
 * %fs:/%gs:), thousands per run, compared with GNU as in one batch per run; and random branch
 * layouts (labels, jumps both ways, fillers, alignment) whose relaxation must match as's.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { assemble } from "../../src/asm/assembler.js";
import { SourceFile } from "../../src/diag/diagnostic.js";
import { findSection } from "../../src/image/image.js";
import { instructionArbitrary } from "../support/gen.js";
import { gnuSectionBytes } from "../support/toolchain.js";
import { compareWithGnu } from "./compare.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("random instructions against GNU as", () => {
  test("3 runs of 2500 instructions agree line by line", () => {
    fc.assert(
      fc.property(fc.array(instructionArbitrary(), { minLength: 2500, maxLength: 2500 }), (lines) => {
        const source = lines.join("\n") + "\n";
        const result = assemble(new SourceFile("random.s", source));
        const mismatches = compareWithGnu(source, result);
        expect(mismatches.slice(0, 10)).toEqual([]);
      }),
      { seed: 20240611, numRuns: 3, endOnFailure: true },
    );
  });
});

/** A random program of labels, jumps to them (both directions) and fillers of random size. */
const branchProgram = fc
  .array(
    fc.oneof(
      {
        weight: 4,
        arbitrary: fc
          // Addends too (but none that could take a branch back before itself to a label defined
          // after it: see "Where pvopc differs" in docs/assembler.md).
          .tuple(fc.constantFrom("jmp", "je", "jne", "jl", "ja", "call"), fc.nat(15), fc.constantFrom("", "", "", "+2", "+126", "+130"))
          .map(([m, l, addend]) => ({ kind: "jump" as const, m, l, addend })),
      },
      { weight: 3, arbitrary: fc.nat(15).map((l) => ({ kind: "label" as const, l })) },
      { weight: 3, arbitrary: fc.integer({ min: 1, max: 60 }).map((n) => ({ kind: "fill" as const, n })) },
      { weight: 1, arbitrary: fc.constantFrom(4, 8, 16, 32).map((a) => ({ kind: "align" as const, a })) },
    ),
    { minLength: 10, maxLength: 120 },
  )
  .map((items) => {
    const defined = new Set<number>();
    const lines: string[] = [];
    for (const it of items) {
      if (it.kind === "label") {
        if (defined.has(it.l)) continue;
        defined.add(it.l);
        lines.push(`L${it.l}:`);
      } else if (it.kind === "jump") lines.push(`${it.m} L${it.l}${it.addend}`);
      else if (it.kind === "fill") lines.push(`.nops ${it.n}`);
      else lines.push(`.p2align ${Math.log2(it.a)}`);
    }
    // Jumps to labels never defined become rel32 with a relocation; define a few as globals.
    for (let l = 0; l < 16; l++) if (!defined.has(l) && l % 3 === 0) lines.push(`.globl L${l}`);
    return lines.join("\n") + "\n";
  });

describe("branch relaxation against GNU as", () => {
  test("the same .text bytes for random jump layouts", () => {
    fc.assert(
      fc.property(branchProgram, (source) => {
        const result = assemble(new SourceFile("branches.s", source));
        expect(result.diagnostics).toEqual([]);
        expect(hex(findSection(result.image, ".text")!.data)).toBe(hex(gnuSectionBytes(source)));
      }),
      { seed: 7, numRuns: 60, endOnFailure: true },
    );
  });
});
