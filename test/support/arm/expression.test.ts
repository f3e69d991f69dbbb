import { describe, expect, it } from "vitest";
import { isExpression, literalString, parseExpression } from "./expression";
import { loadCompiledTemplate } from "./template";

describe("ARM expression parser", () => {
  it("tells expressions from literals, and unescapes [[", () => {
    expect(isExpression("[parameters('a')]")).toBe(true);
    expect(isExpression("[[not an expression]")).toBe(false);
    expect(isExpression("plain")).toBe(false);
    expect(isExpression("[starts but does not end")).toBe(false);
    expect(literalString("[[x]")).toBe("[x]");
    expect(literalString("[[x")).toBe("[[x");
    expect(literalString("plain")).toBe("plain");
  });

  it("parses calls, strings with doubled quotes, integers, members and indexes, keeping each node's source", () => {
    const node = parseExpression("[reference(resourceId('Microsoft.X/y', 'it''s'), '2024-01-01').outputs.name.value[ -1 ]]");
    expect(node.kind).toBe("index");
    if (node.kind !== "index") return;
    expect(node.index).toEqual({ kind: "number", value: -1, text: "-1" });
    expect(node.target.kind === "member" && node.target.name).toBe("value");
    expect(node.target.text).toBe("reference(resourceId('Microsoft.X/y', 'it''s'), '2024-01-01').outputs.name.value");
    let call = node.target;
    while (call.kind === "member") call = call.target;
    expect(call.kind === "call" && call.name).toBe("reference");
    if (call.kind !== "call") return;
    const [id] = call.args;
    expect(id?.kind === "call" && id.args[1]).toEqual({ kind: "string", value: "it's", text: "'it''s'" });
  });

  it("accepts whitespace between tokens and calls without arguments", () => {
    expect(parseExpression("[ createObject ( ) ]")).toMatchObject({ kind: "call", name: "createObject", args: [] });
    expect(parseExpression("[ concat( 'a' , 'b' ) ]")).toMatchObject({ kind: "call", args: [{ value: "a" }, { value: "b" }] });
  });

  it.each([
    ["[concat('a']", /expected '\)'/],
    ["['unterminated]", /unterminated string/],
    ["[a() b()]", /trailing text/],
    ["[ns.fn('x')]", /user-defined function ns\.\* is not supported/],
    ["[.x]", /expected a value/],
    ["not an expression", /not an ARM expression/],
  ])("refuses %s, naming the expression", (text, reason) => {
    expect(() => parseExpression(text)).toThrow(reason);
  });

  it("parses every expression in the compiled template", () => {
    const { template } = loadCompiledTemplate();
    const expressions: string[] = [];
    const walk = (value: unknown): void => {
      if (isExpression(value)) expressions.push(value);
      else if (Array.isArray(value)) value.forEach(walk);
      else if (typeof value === "object" && value !== null) {
        for (const [key, item] of Object.entries(value)) {
          walk(key);
          walk(item);
        }
      }
    };
    walk(template);
    expect(expressions.length).toBeGreaterThan(100);
    for (const expression of expressions) expect(() => parseExpression(expression), expression).not.toThrow();
  });
});
