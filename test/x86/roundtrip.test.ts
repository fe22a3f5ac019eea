/**
 * Decode then encode gives back the same bytes, for more than the decoder's differential tests
 * reach (they run objdump, which bounds their size): random encodings of every form with random
 * legal prefixes, REX bits that carry nothing, unneeded SIB bytes and wide displacements, and
 * every instruction the decoder accepts out of random bytes. Fixed seeds.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decode } from "../../src/x86/decode.js";
import { FORMS } from "../../src/x86/table.js";
import { instructionArbitrary } from "./disasm-gen.mjs";
import { roundTripFailures } from "./disasm-support.js";

describe("decode then encode round trip", () => {
  for (const seed of [21, 22, 23]) {
    it(`random encodings of every form, seed ${seed}`, () => {
      const samples = fc.sample(instructionArbitrary(fc, FORMS), { seed, numRuns: 10000 }).map((bytes, i) => ({ bytes, address: 0x401000n + BigInt(i) * 16n }));
      const failures = roundTripFailures(samples);
      expect(failures.slice(0, 20).join("\n"), `${failures.length} of ${samples.length} differ`).toBe("");
    });
  }

  it("every instruction the decoder accepts out of random bytes", () => {
    const garbage = fc.sample(fc.uint8Array({ minLength: 15, maxLength: 15 }), { seed: 24, numRuns: 60000 });
    const accepted = garbage.flatMap((bytes) => {
      const r = decode(bytes, 0, 0n);
      return r.ok ? [{ bytes: bytes.slice(0, r.length), address: 0xffffffff_fffff000n }] : [];
    });
    expect(accepted.length).toBeGreaterThan(30000);
    const failures = roundTripFailures(accepted);
    expect(failures.slice(0, 20).join("\n"), `${failures.length} of ${accepted.length} differ`).toBe("");
  });
});
