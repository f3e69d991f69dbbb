import { ArmTemplateError } from "./values";

/**
 * The ARM template expression language: `[function(args).property[index]]`, with 'single-quoted'
 * strings ('' escapes a quote) and integer literals. There are no operators: Bicep compiles its own
 * (`&&`, `?:`, `.?`, `!`) into functions (and(), if(), tryGet()) or drops them.
 */

export type ExpressionNode =
  | { kind: "string"; value: string; text: string }
  | { kind: "number"; value: number; text: string }
  | { kind: "call"; name: string; args: ExpressionNode[]; text: string }
  | { kind: "member"; target: ExpressionNode; name: string; text: string }
  | { kind: "index"; target: ExpressionNode; index: ExpressionNode; text: string };

/** A JSON string ARM evaluates: `[...]`, but not the escaped literal `[[...]`. */
export function isExpression(value: unknown): value is string {
  return typeof value === "string" && value.startsWith("[") && !value.startsWith("[[") && value.endsWith("]");
}

/** The value of a JSON string that is not an expression: `[[x]` stands for the literal `[x]`. */
export function literalString(value: string): string {
  return value.startsWith("[[") && value.endsWith("]") ? value.slice(1) : value;
}

/** Parses `[...]` (brackets included) into a tree whose nodes keep their source text. */
export function parseExpression(expression: string): ExpressionNode {
  if (!isExpression(expression)) throw new ArmTemplateError(`not an ARM expression: ${expression}`);
  const source = expression.slice(1, -1);
  let pos = 0;
  const skip = (): void => {
    while (pos < source.length && /\s/.test(source[pos] as string)) pos += 1;
  };
  const fail = (what: string): never => {
    throw new ArmTemplateError(`cannot parse ARM expression at ${pos} (${what}): ${expression}`);
  };
  const expect = (char: string): void => {
    skip();
    if (source[pos] !== char) fail(`expected '${char}'`);
    pos += 1;
  };
  const primary = (): ExpressionNode => {
    skip();
    const start = pos;
    const char = source[pos];
    if (char === "'") {
      let value = "";
      pos += 1;
      for (;;) {
        if (pos >= source.length) fail("unterminated string");
        if (source[pos] === "'") {
          if (source[pos + 1] === "'") {
            value += "'";
            pos += 2;
            continue;
          }
          pos += 1;
          break;
        }
        value += source[pos];
        pos += 1;
      }
      return { kind: "string", value, text: source.slice(start, pos) };
    }
    const number = /^-?\d+/.exec(source.slice(pos));
    if (number) {
      pos += number[0].length;
      return { kind: "number", value: Number(number[0]), text: number[0] };
    }
    const name = /^[A-Za-z_][\w]*/.exec(source.slice(pos));
    if (!name) return fail("expected a value");
    pos += name[0].length;
    if (source[pos] === ".") fail(`user-defined function ${name[0]}.* is not supported`);
    expect("(");
    const args: ExpressionNode[] = [];
    skip();
    if (source[pos] === ")") pos += 1;
    else {
      for (;;) {
        args.push(postfix());
        skip();
        if (source[pos] === ",") {
          pos += 1;
          continue;
        }
        expect(")");
        break;
      }
    }
    return { kind: "call", name: name[0], args, text: source.slice(start, pos) };
  };
  const postfix = (): ExpressionNode => {
    skip();
    const start = pos;
    let node = primary();
    for (;;) {
      skip();
      if (source[pos] === ".") {
        pos += 1;
        const member = /^[A-Za-z_$][\w$]*/.exec(source.slice(pos));
        if (!member) return fail("expected a property name");
        pos += member[0].length;
        node = { kind: "member", target: node, name: member[0], text: source.slice(start, pos) };
      } else if (source[pos] === "[") {
        pos += 1;
        const index = postfix();
        expect("]");
        node = { kind: "index", target: node, index, text: source.slice(start, pos) };
      } else return node;
    }
  };
  const node = postfix();
  skip();
  if (pos !== source.length) fail("trailing text");
  return node;
}
