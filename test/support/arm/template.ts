import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { ArmTemplateError } from "./values";

/** The JSON shape of a compiled (languageVersion 1.0) ARM template, as far as the evaluator reads it. */

export interface ArmParameter {
  type: string;
  defaultValue?: unknown;
  allowedValues?: unknown[];
  minValue?: number;
  maxValue?: number;
  minLength?: number;
  maxLength?: number;
  metadata?: { appSetting?: string; description?: string };
}

export interface ArmOutput {
  type: string;
  value?: unknown;
  condition?: unknown;
  copy?: unknown;
}

export interface ArmResource {
  type: string;
  name: string;
  apiVersion?: string;
  scope?: string;
  condition?: unknown;
  subscriptionId?: string;
  resourceGroup?: string;
  properties?: Record<string, unknown> & {
    template?: ArmTemplate;
    /** Each entry is { value } or { reference }, or an expression that evaluates to one (Bicep's form for a conditional value). */
    parameters?: Record<string, { value?: unknown; reference?: unknown } | string>;
    expressionEvaluationOptions?: { scope?: string };
  };
  [key: string]: unknown;
}

export interface ArmTemplate {
  languageVersion?: string;
  parameters?: Record<string, ArmParameter>;
  variables?: Record<string, unknown>;
  resources: ArmResource[];
  outputs?: Record<string, ArmOutput>;
  [key: string]: unknown;
}

const ROOT = path.resolve(__dirname, "../../..");
const COMPILED = path.join(ROOT, ".local/infra/main.json");

/**
 * The template `bash scripts/check-infra.sh` compiled from infra/main.bicep (the real Bicep
 * compiler), with its text. Refuses a missing compile, or one older than any .bicep file under infra/
 * or any file the templates load (infra/workbook/).
 */
export function loadCompiledTemplate(): { template: ArmTemplate; text: string } {
  if (!existsSync(COMPILED)) {
    throw new Error(`${path.relative(ROOT, COMPILED)} is missing: run 'bash scripts/check-infra.sh' first (it compiles infra/main.bicep with the Bicep CLI)`);
  }
  const builtAt = statSync(COMPILED).mtimeMs;
  const stale = listTemplateSources(path.join(ROOT, "infra")).filter((file) => statSync(file).mtimeMs > builtAt);
  if (stale.length > 0) {
    throw new Error(`${path.relative(ROOT, COMPILED)} is older than ${stale.map((f) => path.relative(ROOT, f)).join(", ")}: run 'bash scripts/check-infra.sh' again`);
  }
  const text = readFileSync(COMPILED, "utf8");
  return { template: JSON.parse(text) as ArmTemplate, text };
}

/** The .bicep files, and the files they load with loadJsonContent() (the workbook's items). */
function listTemplateSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return listTemplateSources(full);
    return entry.name.endsWith(".bicep") || entry.name.endsWith(".workbook.json") ? [full] : [];
  });
}

/** Refuses template features the evaluator does not implement, before anything is evaluated. */
export function assertSupportedTemplate(template: ArmTemplate, where: string): void {
  if (template.languageVersion !== undefined) {
    throw new ArmTemplateError(`${where}: languageVersion ${template.languageVersion} templates (symbolic resource names) are not supported`);
  }
  if (!Array.isArray(template.resources)) throw new ArmTemplateError(`${where}: 'resources' is not an array`);
}
