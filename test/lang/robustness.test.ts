/**
 * Any input gives diagnostics, never an exception or a hang: mutated examples (fast-check,
 * fixed seed) and the classic hostile inputs.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SourceFile } from "../../src/diag/diagnostic.js";
import { check, checkText, CODES } from "../../src/lang/index.js";

const root = join(import.meta.dirname, "..", "..");
const examples = ["linux-x86_64.pvop", "xen.pvop", "kvm.pvop", "lguest.pvop", "common/pv-irq-ops.pvop"].map((n) =>
  readFileSync(join(root, "examples", n), "utf8"),
);

/** Checks, and also asserts every diagnostic's span lies inside its file. */
function checkSafely(text: string) {
  const result = checkText(text, "fuzz.pvop");
  for (const d of result.diagnostics) {
    expect(d.code).toMatch(/^PV\d{4}$/);
    expect(d.span.start).toBeGreaterThanOrEqual(0);
    expect(d.span.end).toBeLessThanOrEqual(d.file.text.length);
    expect(d.span.start).toBeLessThanOrEqual(d.span.end);
  }
  return result;
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("{", "}", ";", "(", "/*", "//", '"', "pvcall ", "native {", "\n", "\u0000", "\ufffd")) }),
  fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 200 }), to: fc.nat() }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(text: string, mutations: Mutation[]): string {
  for (const m of mutations) {
    const at = text.length ? m.at % text.length : 0;
    if (m.kind === "delete") text = text.slice(0, at) + text.slice(at + m.length);
    else if (m.kind === "insert") text = text.slice(0, at) + m.text + text.slice(at);
    else {
      const to = text.length ? m.to % text.length : 0;
      text = text.slice(0, to) + text.slice(at, at + m.length) + text.slice(to);
    }
  }
  return text;
}

describe("robustness", () => {
  it("mutated examples give diagnostics, never an exception", () => {
    fc.assert(
      fc.property(fc.nat({ max: examples.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 6 }), (which, mutations) => {
        checkSafely(mutate(examples[which]!, mutations));
      }),
      { seed: 20240611, numRuns: 300 },
    );
  });

  it("binary garbage", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        // Read as the CLI reads a file: invalid UTF-8 becomes U+FFFD.
        checkSafely(Buffer.from(bytes).toString("utf8"));
      }),
      { seed: 7, numRuns: 100 },
    );
  });

  it("invalid UTF-8 is reported as unexpected characters", () => {
    const text = Buffer.from([0x67, 0x72, 0x6f, 0x75, 0x70, 0x20, 0xc3, 0x28, 0xff, 0xfe]).toString("utf8");
    expect(checkSafely(text).diagnostics.map((d) => d.code)).toContain(CODES.unexpectedCharacter);
  });

  it("10,000 nested braces and parentheses", () => {
    expect(checkSafely("{".repeat(10_000)).diagnostics.length).toBeGreaterThan(0);
    expect(checkSafely("group g {" + "{".repeat(10_000) + "}".repeat(10_000)).diagnostics.length).toBeGreaterThan(0);
    expect(checkSafely(`const X = ${"(".repeat(10_000)}1${")".repeat(10_000)}`).diagnostics.map((d) => d.code)).toContain(CODES.nestingTooDeep);
    expect(checkSafely(`const X = ${"-".repeat(10_000)}1`).diagnostics.map((d) => d.code)).toEqual([CODES.nestingTooDeep]);
    expect(checkSafely(`const X = ${"-".repeat(64)}1`).diagnostics).toEqual([]);
  });

  it("unterminated comment, body and string", () => {
    expect(checkSafely("group g { /* never closed").diagnostics.map((d) => d.code)).toContain(CODES.unterminatedComment);
    expect(checkSafely("group g { op a() { native { cli").diagnostics.map((d) => d.code)).toEqual([CODES.unterminatedBody]);
    expect(checkSafely("scenario s { code { pvcall g.a").diagnostics.map((d) => d.code)).toEqual([CODES.unterminatedBody]);
    expect(checkSafely('import "x').diagnostics.map((d) => d.code)).toContain(CODES.unterminatedString);
  });

  it("hundreds of thousands of errors", () => {
    // Lexical errors count toward the cap on syntax errors.
    const lexical = checkSafely("\u0001 ".repeat(200_000)).diagnostics;
    expect(lexical.length).toBe(101);
    expect(lexical.at(-1)!.code).toBe(CODES.tooManyErrors);
    // Every error inside a body is reported, however many (an argument list this long would overflow the stack).
    const body = checkSafely(`group g {\n  op a() { native { ${"bogus %rax\n".repeat(200_000)} } }\n}\n`).diagnostics;
    expect(body.length).toBe(200_000);
    expect(new Set(body.map((d) => d.code))).toEqual(new Set(["PV1001"]));
  }, 60_000);

  it("a 10 MB file", () => {
    const chunk = "// filler comment line for a big file\ngroup g { op a() { nop } }\n@@@ }}} {{{ ;;; 0x ((\n";
    const text = chunk.repeat(Math.ceil((10 << 20) / chunk.length));
    const result = check(new SourceFile("big.pvop", text));
    expect(text.length).toBeGreaterThanOrEqual(10 << 20);
    expect(result.diagnostics.length).toBeGreaterThan(0);
  }, 60_000);
});
