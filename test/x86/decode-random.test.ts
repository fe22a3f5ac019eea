/**
 * Property tests of the decoder and printer against objdump: random encodings of every form
 * (fast-check, fixed seeds) must decode to objdump's length and text, and random garbage must
 * never make the decoder throw.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decode, decodeAll } from "../../src/x86/decode.js";
import { formatInstruction } from "../../src/x86/print.js";
import { FORMS } from "../../src/x86/table.js";
import { objdumpRaw } from "../support/toolchain.js";
import { instructionArbitrary } from "./disasm-gen.mjs";
import { hexBytes, roundTripFailures, squash } from "./disasm-support.js";

/** Decodes and prints each sample at its place in one stream; returns the disagreements with objdump. */
function disagreements(samples: readonly Uint8Array[]): string[] {
  const stream = new Uint8Array(samples.reduce((n, s) => n + s.length, 0));
  const starts: number[] = [];
  let at = 0;
  for (const s of samples) {
    starts.push(at);
    stream.set(s, at);
    at += s.length;
  }
  const rows = objdumpRaw(stream);
  const reference = new Map(rows.map((r) => [Number(r.addr), r]));
  const problems: string[] = [];
  samples.forEach((sample, i) => {
    const address = BigInt(starts[i]!);
    const theirs = reference.get(starts[i]!);
    const r = decode(stream, starts[i]!, address);
    const ours = r.ok ? formatInstruction(r.instruction, address, r.length) : `(bad: ${r.reason})`;
    if (!theirs || theirs.bytes !== hexBytes(sample) || r.length !== sample.length || squash(ours) !== squash(theirs.text))
      problems.push(`${hexBytes(sample)}\n  objdump: ${theirs ? `${theirs.bytes} | ${theirs.text}` : overlapping(rows, starts[i]!, sample.length)}\n  pvopc:   ${ours}`);
  });
  return problems;
}

/** objdump's rows that cover a sample it did not start a row at. */
function overlapping(rows: ReturnType<typeof objdumpRaw>, start: number, length: number): string {
  const covering = rows.filter((r) => Number(r.addr) < start + length && Number(r.addr) + r.bytes.split(" ").length > start);
  return covering.map((r) => `[${r.addr.toString(16)}: ${r.bytes} | ${r.text}]`).join(" ");
}

describe("decoder against objdump on random encodings of every form", () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}`, () => {
      const samples = fc.sample(instructionArbitrary(fc, FORMS), { seed, numRuns: 5000 });
      const problems = disagreements(samples);
      expect(problems.slice(0, 20).join("\n"), `${problems.length} of ${samples.length} differ`).toBe("");
    });
  }
});

describe("decoder on arbitrary bytes", () => {
  it("never throws, and every length is between 1 and 15", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }), fc.bigInt(0n, (1n << 64n) - 1n), (bytes, base) => {
        for (const { result, address } of decodeAll(bytes, base)) {
          expect(result.length).toBeGreaterThanOrEqual(1);
          expect(result.length).toBeLessThanOrEqual(15);
          if (result.ok) formatInstruction(result.instruction, address, result.length);
        }
      }),
      { seed: 7, numRuns: 20000 },
    );
  });

  it("decodes what it accepts from random bytes as objdump does", () => {
    // Every instruction the decoder accepts in random bytes, checked alone against objdump.
    const garbage = fc.sample(fc.uint8Array({ minLength: 15, maxLength: 15 }), { seed: 8, numRuns: 40000 });
    const accepted = garbage.flatMap((bytes) => {
      const r = decode(bytes, 0, 0n);
      return r.ok ? [bytes.slice(0, r.length)] : [];
    });
    expect(accepted.length).toBeGreaterThan(5000);
    const problems = disagreements(accepted);
    expect(problems.slice(0, 20).join("\n"), `${problems.length} of ${accepted.length} differ`).toBe("");
  });
});

describe("decode then encode on random encodings of every form", () => {
  it("gives back the bytes, prefixes and REX as written", () => {
    const samples = fc.sample(instructionArbitrary(fc, FORMS), { seed: 4, numRuns: 5000 }).map((bytes, i) => ({ bytes, address: BigInt(i) * 16n }));
    const failures = roundTripFailures(samples);
    expect(failures.slice(0, 20).join("\n"), `${failures.length} of ${samples.length} differ`).toBe("");
  });
});
