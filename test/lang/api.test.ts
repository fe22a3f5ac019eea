/** The front end's API as the language server and the code generator use it. */
import { describe, expect, it } from "vitest";
import { SourceFile } from "../../src/diag/diagnostic.js";
import { check, checkText, CODES, parse } from "../../src/lang/index.js";

const SMALL = `/// The irq ops.
group pv_irq_ops {
  /// Disables interrupts.
  /// Twice documented.
  op irq_disable() { native { cli } }
  op irq_enable() { native { sti } }
}
`;

describe("parse", () => {
  it("builds an AST with spans that map to 1-based and 0-based positions", () => {
    const file = new SourceFile("a.pvop", SMALL);
    const { ast, diagnostics } = parse(file);
    expect(diagnostics).toEqual([]);
    const group = ast.declarations[0]!;
    expect(group.kind).toBe("group");
    if (group.kind !== "group") return;
    const op = group.ops[0]!;
    expect(op.name!.text).toBe("irq_disable");
    expect(file.position(op.name!.span.start)).toEqual({ line: 5, column: 6 });
    expect(file.lspPosition(op.name!.span.start)).toEqual({ line: 4, character: 5 });
    const native = op.clauses[0]!;
    expect(native.kind === "native" && file.text.slice(native.body!.inner.start, native.body!.inner.end)).toBe(" cli ");
  });

  it("attaches /// doc comments to the declaration that follows", () => {
    const { ast } = parse(new SourceFile("a.pvop", SMALL));
    const group = ast.declarations[0]!;
    expect(group.doc).toBe("The irq ops.");
    expect(group.kind === "group" && group.ops.map((o) => o.doc)).toEqual(["Disables interrupts.\nTwice documented.", undefined]);
    expect(ast.comments.filter((c) => c.doc)).toHaveLength(3);
  });

  it("reports a missing '}' at the end of the previous token and goes on", () => {
    const text = "group g {\n  op a() { native { cli } }\n\ngroup h {\n  op b() { nop }\n  op c( { nop }\n}\n";
    const { diagnostics, ast } = parse(new SourceFile("a.pvop", text));
    expect(diagnostics.map((d) => [d.code, d.span.start])).toEqual([
      [CODES.missingCloser, text.indexOf("} }") + 3],
      [CODES.missingCloser, text.indexOf("c(") + 2],
    ]);
    expect(ast.declarations.map((d) => d.kind === "group" && d.name?.text)).toEqual(["g", "h"]);
  });

  it("parses pvcall statements inside scenario code", () => {
    const text = "scenario s {\n  code {\n    movq %rax, %rbx; pvcall g.a, room 8, clobbers rax\n1:  pvcall g.b\n  }\n}\n";
    const { ast, diagnostics } = parse(new SourceFile("a.pvop", text));
    expect(diagnostics).toEqual([]);
    const s = ast.declarations[0]!;
    const code = s.kind === "scenario" ? s.items[0]! : undefined;
    expect(code?.kind === "code" && code.pvcalls.map((p) => [p.group?.text, p.op?.text, p.room?.kind, p.clobbers?.map((c) => c.text)])).toEqual([
      ["g", "a", "integer", ["rax"]],
      ["g", "b", undefined, undefined],
    ]);
    expect(code?.kind === "code" && text.slice(code.pvcalls[0]!.span.start, code.pvcalls[0]!.span.end)).toBe("pvcall g.a, room 8, clobbers rax");
  });

  it("lets keywords be names where no declaration starts", () => {
    const { diagnostics } = parse(new SourceFile("a.pvop", "group data {\n  op native(op: u64) { nop }\n}\n"));
    expect(diagnostics).toEqual([]);
  });
});

describe("check", () => {
  it("checks in-memory text and resolves imports through the caller's reader", () => {
    const files = new Map([
      ["ops.pvop", "group g {\n  op a(x: u64) -> u64 { identity }\n}\n"],
      ["main.pvop", 'import "ops.pvop"\nconst ROOM = 2 * 4\nscenario s { code { pvcall g.a, room ROOM } }\n'],
    ]);
    const result = checkText(files.get("main.pvop")!, "main.pvop", {
      readImport: (path) => (files.has(path) ? new SourceFile(path, files.get(path)!) : undefined),
    });
    expect(result.diagnostics).toEqual([]);
    expect(result.asts.map((a) => a.file.name)).toEqual(["main.pvop", "ops.pvop"]);
    expect(result.model.constants.get("ROOM")!.value).toBe(8n);
    expect(result.model.scenarios[0]!.code!.sites[0]!.room).toBe(8);
    expect(result.model.ops[0]!.native.kind).toBe("identity");
  });

  it("imports each file once and numbers its ops at the import", () => {
    const files = new Map([
      ["a.pvop", "group ga { op x() { nop } }\n"],
      ["main.pvop", 'group first { op y() { nop } }\nimport "a.pvop"\nimport "a.pvop"\ngroup last { op z() { nop } }\n'],
    ]);
    const result = checkText(files.get("main.pvop")!, "main.pvop", { readImport: (p) => new SourceFile(p, files.get(p)!) });
    expect(result.diagnostics).toEqual([]);
    expect(result.model.ops.map((o) => `${o.type}:${o.qualifiedName}`)).toEqual(["0:first.y", "1:ga.x", "2:last.z"]);
  });

  it("reports an error in a body at its exact line and column", () => {
    const text = "group g {\n  op a() {\n    native {\n      cli\n      movq %rax, %rbx, %rcx\n    }\n  }\n}\n";
    const file = new SourceFile("a.pvop", text);
    const [d] = check(file).diagnostics;
    expect(d!.code).toMatch(/^PV1/);
    expect(file.position(d!.span.start).line).toBe(5);
    expect(file.position(d!.span.start).column).toBeGreaterThanOrEqual(7);
  });

  it("accepts push/pop pairs that restore registers and rejects a mismatched pair", () => {
    const body = (b: string) => `group g {\n  op a() { clobbers rax; native { ${b} } }\n}\n`;
    const errors = (b: string) => checkText(body(b)).diagnostics.filter((d) => d.severity === "error").map((d) => d.code);
    expect(errors("pushq %rdi; movslq %edi, %rdi; movq %rdi, %rax; popq %rdi")).toEqual([]);
    expect(errors("pushq %rdi; pushq %rsi; movl $1, %esi; movl $2, %edi; popq %rsi; popq %rdi")).toEqual([]);
    expect(errors("movl $1, %edi; pushq %rdi; popq %rdi")).toEqual([CODES.clobberViolation]);
    expect(errors("pushq %rdi; pushq %rsi; popq %rdi; popq %rsi")).toEqual([CODES.clobberViolation, CODES.clobberViolation]);
  });

  it("counts what a call to an extern clobbers by its convention", () => {
    const text = (conv: string) =>
      `extern helper: ${conv}\ngroup g {\n  op a() { clobbers rax; native { call helper } }\n}\nscenario s { code { pvcall g.a, room 8 } }\n`;
    expect(checkText(text("callee_save")).diagnostics).toEqual([]);
    expect(checkText(text("c")).diagnostics.map((d) => d.message.split(",")[0])).toContain("native body of g.a clobbers rcx");
  });
});
