import { readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { cycles, folderGraph, readImportGraph } from "../../scripts/importGraph";
import { functionLengths } from "../../scripts/functionLengths";

/**
 * The shape of the code, checked on every test run (docs: README "Architecture"): no import cycle
 * between files or folders, each folder of shared/ imports only the layers below it, production code
 * imports nothing from local/, perf/, scripts/ or test/, each Azure SDK is used by the one folder that
 * adapts it, and no function of shared/ or functions/ is longer than 60 lines.
 */
const ROOT = path.resolve(__dirname, "../..");
const graph = readImportGraph();
const folders = folderGraph(graph);

/** Lower imports nothing higher. Folders on the same rank do not import each other either. */
const LAYERS: readonly (readonly string[])[] = [
  ["shared/domain"],
  ["shared/config", "shared/telemetry"],
  ["shared/graph", "shared/identity"],
  ["shared/alerts", "shared/state"],
  ["shared/channels"],
  ["shared/pipeline"],
  ["shared/cli/commands", "functions"],
  ["shared/cli"],
];
const rankOf = (folder: string): number => LAYERS.findIndex((layer) => layer.includes(folder));

/** Each SDK's runtime use belongs to one folder (type-only imports may appear where the type is passed around). */
const SDK_HOME: Readonly<Record<string, readonly string[]>> = {
  "@microsoft/microsoft-graph-client": ["shared/graph"],
  "@azure/data-tables": ["shared/state"],
  "@azure/communication-email": ["shared/channels"],
  "@azure/identity": ["shared/identity"],
  "@azure/functions": ["functions"],
};

describe("the import structure", () => {
  it("reads a graph of the whole source tree", () => {
    // Guards the checks below against passing on an empty or partial graph.
    expect(graph.files.size).toBeGreaterThan(90);
    for (const folder of LAYERS.flat()) expect(folders.has(folder), folder).toBe(true);
  });

  it("has no cycle between files", () => {
    expect(cycles(graph.files)).toEqual([]);
  });

  it("has no cycle between folders", () => {
    expect(cycles(folders)).toEqual([]);
  });

  it("places every folder of shared/ and functions/ on a layer", () => {
    const unplaced = [...folders.keys()].filter((folder) => /^(shared|functions)(\/|$)/.test(folder) && rankOf(folder) < 0);
    expect(unplaced).toEqual([]);
  });

  it("imports only downwards: each folder of shared/ and functions/ imports only lower layers", () => {
    const upward: string[] = [];
    for (const [from, targets] of folders) {
      const rank = rankOf(from);
      if (rank < 0) continue;
      for (const to of targets) if (rankOf(to) >= rank) upward.push(`${from} → ${to}`);
    }
    expect(upward).toEqual([]);
  });

  it("keeps shared/domain free of every other module of ours", () => {
    expect([...(folders.get("shared/domain") ?? [])]).toEqual([]);
  });

  it("keeps production code (functions/, shared/) apart from local/, perf/, scripts/ and test/", () => {
    const leaks = edges().filter(([from, to]) => /^(functions|shared)\//.test(from) && !/^(functions|shared)\//.test(to));
    expect(leaks).toEqual([]);
  });

  it("keeps test/ out of everything that is not a test", () => {
    expect(edges().filter(([, to]) => to.startsWith("test/"))).toEqual([]);
  });

  it("uses each Azure SDK at runtime only in the folder that adapts it", () => {
    const misplaced: string[] = [];
    for (const file of graph.files.keys()) {
      if (!/^(functions|shared)\//.test(file)) continue;
      for (const { module, typeOnly } of packageImports(file)) {
        const home = SDK_HOME[module];
        if (home && !typeOnly && !home.includes(path.dirname(file))) misplaced.push(`${file} → ${module}`);
      }
    }
    expect(misplaced).toEqual([]);
  });
});

describe("function length", () => {
  it("keeps every function of shared/ and functions/ within 60 lines", () => {
    const all = functionLengths(["shared", "functions"]);
    expect(all.length).toBeGreaterThan(300);
    const long = all.filter((f) => f.lines > 60).map((f) => `${f.file}:${f.line} ${f.name} (${f.lines} lines)`);
    expect(long).toEqual([]);
  });
});

function edges(): [string, string][] {
  return [...graph.files].flatMap(([from, targets]) => [...targets].map((to): [string, string] => [from, to]));
}

/** The packages a file imports, and whether each import is type-only (erased at compile time). */
function packageImports(file: string): { module: string; typeOnly: boolean }[] {
  const source = ts.createSourceFile(file, readFileSync(path.join(ROOT, file), "utf8"), ts.ScriptTarget.Latest, true);
  const found: { module: string; typeOnly: boolean }[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const module = node.moduleSpecifier.text;
      if (!module.startsWith(".")) found.push({ module, typeOnly: isTypeOnly(node) });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      const module = node.arguments[0].text;
      if (!module.startsWith(".")) found.push({ module, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function isTypeOnly(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(node)) return node.isTypeOnly;
  const clause = node.importClause;
  if (!clause) return false; // a side-effect import
  if (clause.isTypeOnly) return true;
  if (clause.name) return false;
  const bindings = clause.namedBindings;
  return bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((element) => element.isTypeOnly);
}
