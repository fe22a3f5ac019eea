/**
 * Assemblies share typed arrays through a pool (src/asm/rows.ts ArrayArena): a small assembly
 * gives its stores back when it finishes, a store that grows gives back the array it outgrew.
 * Whatever a result holds must never be one of those arrays, and a reused array must start as a
 * fresh one would. Checked here by assembling many different inputs in one process and
 * comparing every result, after all of them, with the same input assembled alone.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { assemble, type AssembleResult } from "../../src/asm/assembler.js";
import { ArrayArena } from "../../src/asm/rows.js";
import { SourceFile } from "../../src/diag/diagnostic.js";
import { formatInstruction } from "../../src/x86/print.js";
import { corpus } from "../support/gen.js";

/** Everything a result says, as plain text (bytes as hex, BigInts as decimal). */
function snapshot(result: AssembleResult): string {
  return JSON.stringify(
    {
      image: result.image,
      diagnostics: result.diagnostics.map((d) => [d.code, d.message, d.span]),
      listing: result.listing,
      instructions: result.instructions.map((i) => [formatInstruction(i.instruction, BigInt(i.offset), i.length), i.section, i.offset, i.length, i.span]),
    },
    (_, value: unknown) => (typeof value === "bigint" ? value.toString() : value instanceof Uint8Array ? Buffer.from(value).toString("hex") : value),
  );
}

const LINES = corpus().filter((_, i) => i % 97 === 0);

/** Inputs of every shape: bodies of one to many lines, labels, data, sections, fixups, errors. */
function inputs(): string[] {
  const out: string[] = [];
  for (let i = 0; i + 3 < LINES.length; i += 3) out.push(LINES.slice(i, i + 1 + (i % 4)).join("\n"));
  out.push("1: jmp 1b\n.data\nx: .quad x, y - .\n.section .rodata,\"a\"\n.byte 1,2,3\ncall far");
  out.push("movb $300, %al\nbogus %rax\n.byte 1");
  // Larger than an assembly that builds its lists at once: keeps its stores, lists built on read.
  out.push(Array.from({ length: 300 }, (_, k) => `l${k}: ${LINES[k % LINES.length]}\n jne l${(k * 7) % 300}`).join("\n"));
  out.push(Array.from({ length: 2000 }, (_, k) => `.quad ${k}, s${k}`).join("\n"));
  return out;
}

describe("assemblies that share pooled arrays", () => {
  test("every result is unchanged by the assemblies after it, and equal to the input assembled again", () => {
    const texts = inputs();
    const results = texts.map((text, k) => assemble(new SourceFile(`in${k}.s`, text)));
    // Big results read lazily after everything else ran (their stores must not have been reused).
    const first = results.map(snapshot);
    const again = texts.map((text, k) => snapshot(assemble(new SourceFile(`in${k}.s`, text))));
    expect(first).toEqual(again);
    expect(results.map(snapshot)).toEqual(first);
  });

  test("random interleavings of small and large inputs give the same results", () => {
    const texts = inputs();
    const alone = texts.map((text, k) => snapshot(assemble(new SourceFile(`in${k}.s`, text))));
    fc.assert(
      fc.property(fc.array(fc.nat(texts.length - 1), { minLength: 1, maxLength: 30 }), (order) => {
        const results = order.map((k) => assemble(new SourceFile(`in${k}.s`, texts[k]!)));
        expect(results.map(snapshot)).toEqual(order.map((k) => alone[k]));
      }),
      { seed: 20261122, numRuns: 40 },
    );
  });
});

describe("ArrayArena", () => {
  test("an array taken after a recycle is zeroed, and grow keeps the contents", () => {
    const a = new ArrayArena();
    const first = a.int32(32);
    first.fill(7);
    a.recycle();
    const b = new ArrayArena();
    const reused = b.int32(32);
    expect(reused).toBe(first);
    expect([...reused].every((v) => v === 0)).toBe(true);
    reused[0] = 5;
    reused[31] = 9;
    const grown = b.grow(reused, 64);
    expect(grown.length).toBe(64);
    expect([grown[0], grown[31], grown[32]]).toEqual([5, 9, 0]);
    // The outgrown array went back to the pool: the next taker gets it, zeroed.
    expect(new ArrayArena().int32(32)).toBe(reused);
    expect(reused[0]).toBe(0);
  });
});
