import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

/**
 * The length of every function in the given folders (declarations, methods, accessors, constructors,
 * function expressions and arrow functions with a body), in lines from its first to its last, as the
 * structure test reads them: none of shared/ or functions/ may exceed 60.
 */
const ROOT = path.resolve(__dirname, "..");

export interface FunctionLength {
  readonly file: string;
  readonly name: string;
  readonly line: number;
  readonly lines: number;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [full] : [];
  });
}

function nameOf(node: ts.Node, source: ts.SourceFile): string {
  const named = (node as { name?: ts.Node }).name;
  if (named) return named.getText(source);
  const parent = node.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))) return parent.name.getText(source);
  return "(anonymous)";
}

export function functionLengths(folders: readonly string[]): FunctionLength[] {
  const found: FunctionLength[] = [];
  for (const file of folders.flatMap((folder) => sources(path.join(ROOT, folder)))) {
    const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      const isFunction = ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isConstructorDeclaration(node) || ts.isGetAccessor(node) || ts.isSetAccessor(node) || ts.isFunctionExpression(node) || (ts.isArrowFunction(node) && ts.isBlock(node.body));
      if (isFunction && (node as ts.FunctionLikeDeclaration).body) {
        const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
        const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
        found.push({ file: path.relative(ROOT, file), name: nameOf(node, source), line: start + 1, lines: end - start + 1 });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

if (require.main === module) {
  const max = Number(process.argv[2] ?? 60);
  const long = functionLengths(["shared", "functions"]).filter((f) => f.lines > max).sort((a, b) => b.lines - a.lines);
  for (const f of long) console.log(`${f.lines} lines  ${f.file}:${f.line}  ${f.name}`);
  console.log(`${long.length} function(s) over ${max} lines`);
}
