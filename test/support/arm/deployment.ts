import { isExpression, literalString, parseExpression, type ExpressionNode } from "./expression";
import { builtinFunction } from "./functions";
import { runtimeProperties, type PlatformStandIn } from "./platform";
import { extensionResourceId, parseResourceId, resourceId, sameResourceId, subscriptionResourceId, type DeploymentTarget, type ResourceRef } from "./resourceIds";
import { assertSupportedTemplate, type ArmOutput, type ArmParameter, type ArmResource, type ArmTemplate } from "./template";
import { ArmTemplateError, armTypeOf, deepEqual, describeValue, isArmObject, lazyObject, locateError, memberOf, type ArmObject, type ArmValue } from "./values";

/** What an evaluation needs besides the template. */
export interface EvaluationOptions {
  /** Parameter values, as a parameters file or `az deployment group create -p` passes them; the rest take their defaults. */
  readonly parameters?: Readonly<Record<string, ArmValue>>;
  /** What Azure answers for the deployment's context and the deployed resources. */
  readonly platform: PlatformStandIn;
}

/** Parameters a deployment is given: their names, and each value on demand. */
interface PassedParameters {
  readonly names: readonly string[];
  readonly value: (name: string) => ArmValue;
}

const DEPLOYMENTS = "microsoft.resources/deployments";

/** Functions that read the deployment rather than only their arguments (lower case). */
const SCOPE_FUNCTIONS = new Set(["reference", "resourceid", "subscriptionresourceid", "extensionresourceid", "resourcegroup", "subscription", "tenant", "environment"]);

/** The public cloud's environment(), as far as ARM documents it; anything else read from it throws. */
const AZURE_CLOUD: ArmObject = {
  name: "AzureCloud",
  resourceManager: "https://management.azure.com/",
  authentication: { loginEndpoint: "https://login.microsoftonline.com/", tenant: "common" },
  suffixes: { storage: "core.windows.net", keyvaultDns: ".vault.azure.net", sqlServerHostname: ".database.windows.net", acrLoginServer: ".azurecr.io" },
};

/** The one key of `keys` that is `name` in ARM's case-insensitive sense (an exact match wins). */
function findKey(keys: readonly string[], name: string): string | undefined {
  if (keys.includes(name)) return name;
  const matches = keys.filter((key) => key.toLowerCase() === name.toLowerCase());
  if (matches.length > 1) throw new ArmTemplateError(`'${name}' is ambiguous: ${matches.join(", ")}`);
  return matches[0];
}

function matchesType(type: string, value: ArmValue): boolean {
  switch (type.toLowerCase()) {
    case "string":
    case "securestring":
      return typeof value === "string";
    case "int":
      return typeof value === "number" && Number.isInteger(value);
    case "bool":
      return typeof value === "boolean";
    case "object":
    case "secureobject":
      return isArmObject(value);
    case "array":
      return Array.isArray(value);
    default:
      throw new ArmTemplateError(`unsupported type '${type}'`);
  }
}

/** The checks Azure makes on a parameter value before it deploys anything. */
function checkParameter(name: string, declared: ArmParameter, value: ArmValue, where: string): void {
  const fail = (why: string): never => {
    throw new ArmTemplateError(`${where}: parameter '${name}' ${why}`);
  };
  if (!matchesType(declared.type, value)) fail(`must be ${declared.type}, got ${armTypeOf(value)} ${describeValue(value)}`);
  if (declared.allowedValues !== undefined) {
    const allowed = declared.allowedValues as ArmValue[];
    const items = Array.isArray(value) && declared.type.toLowerCase() === "array" ? value : [value];
    if (!items.every((item) => allowed.some((a) => deepEqual(a, item)))) fail(`must be one of ${describeValue(allowed)}, got ${describeValue(value)}`);
  }
  if (typeof value === "number") {
    if (declared.minValue !== undefined && value < declared.minValue) fail(`must be at least ${declared.minValue}, got ${value}`);
    if (declared.maxValue !== undefined && value > declared.maxValue) fail(`must be at most ${declared.maxValue}, got ${value}`);
  }
  if (typeof value === "string" || Array.isArray(value)) {
    if (declared.minLength !== undefined && value.length < declared.minLength) fail(`must have length at least ${declared.minLength}, got ${value.length}`);
    if (declared.maxLength !== undefined && value.length > declared.maxLength) fail(`must have length at most ${declared.maxLength}, got ${value.length}`);
  }
}

/** A property `copy: [{ name, count, input }]`: ARM's property loop, which this evaluator does not run. */
function isPropertyLoop(value: object): boolean {
  const copy = (value as { copy?: unknown }).copy;
  return Array.isArray(copy) && copy.every((item) => typeof item === "object" && item !== null && "name" in item && "count" in item && "input" in item);
}

/**
 * One deployment: the main template, or a module (a nested Microsoft.Resources/deployments with
 * an inline template and inner expression scope, which is what Bicep emits). Evaluates the
 * template's expressions against its parameters, variables, the modules it deploys and the platform
 * stand-in. Values are computed when first read and then kept.
 */
export class DeploymentScope {
  private readonly parameterValues = new Map<string, ArmValue>();
  private readonly variableValues = new Map<string, ArmValue>();
  private readonly evaluating = new Set<string>();
  private readonly nestedScopes = new Map<ArmResource, DeploymentScope>();

  /** The main template's deployment into the stand-in's resource group. */
  static root(template: ArmTemplate, options: EvaluationOptions): DeploymentScope {
    const given = options.parameters ?? {};
    const target = { subscriptionId: options.platform.subscriptionId, resourceGroup: options.platform.resourceGroup.name };
    // Parameter values given to a deployment are literals: ARM does not evaluate "[...]" in them.
    const passed: PassedParameters = { names: Object.keys(given), value: (name) => given[name] as ArmValue };
    const scope = new DeploymentScope(template, undefined, target, options.platform, passed);
    // Azure checks every value it is given before deploying anything, used or not.
    for (const name of passed.names) scope.parameter(name);
    return scope;
  }

  private constructor(
    readonly template: ArmTemplate,
    /** The module's deployment name; undefined for the main template. */
    readonly name: string | undefined,
    readonly target: DeploymentTarget,
    readonly platform: PlatformStandIn,
    private readonly passed: PassedParameters,
    /** For a module: the deployment that declares it, and where that deployment's expressions are evaluated. */
    readonly parent?: { readonly scope: DeploymentScope; readonly deployment: ArmResource },
  ) {
    assertSupportedTemplate(template, this.describe());
    const declared = Object.keys(template.parameters ?? {});
    const unknown = passed.names.filter((given) => findKey(declared, given) === undefined);
    if (unknown.length > 0) throw new ArmTemplateError(`${this.describe()} declares no parameter ${unknown.map((n) => `'${n}'`).join(", ")}`);
    const missing = Object.entries(template.parameters ?? {}).filter(([key, p]) => p.defaultValue === undefined && findKey(passed.names, key) === undefined);
    if (missing.length > 0) throw new ArmTemplateError(`${this.describe()}: no value for parameter ${missing.map(([n]) => `'${n}'`).join(", ")}, which has no default`);
  }

  describe(): string {
    return this.name === undefined ? "the main template" : `module deployment '${this.name}'`;
  }

  /** parameters('name'): the value passed, else the default; checked as Azure checks it. */
  parameter(name: string): ArmValue {
    const parameters = this.template.parameters ?? {};
    const key = findKey(Object.keys(parameters), name);
    if (key === undefined) throw new ArmTemplateError(`${this.describe()} has no parameter '${name}'`);
    return this.memo(this.parameterValues, `parameters('${key}')`, key, () => {
      const declared = parameters[key] as ArmParameter;
      const passedName = findKey(this.passed.names, key);
      const value = passedName !== undefined ? this.passed.value(passedName) : this.evaluate(declared.defaultValue);
      checkParameter(key, declared, value, this.describe());
      return value;
    });
  }

  /** variables('name'). */
  variable(name: string): ArmValue {
    const variables = this.template.variables ?? {};
    const key = findKey(Object.keys(variables), name);
    if (key === undefined) throw new ArmTemplateError(`${this.describe()} has no variable '${name}'`);
    if (key.toLowerCase() === "copy") throw new ArmTemplateError(`${this.describe()}: variable copy loops are not supported`);
    return this.memo(this.variableValues, `variables('${key}')`, key, () => this.evaluate(variables[key]));
  }

  private memo(cache: Map<string, ArmValue>, label: string, key: string, compute: () => ArmValue): ArmValue {
    if (cache.has(key)) return cache.get(key) as ArmValue;
    if (this.evaluating.has(label)) throw new ArmTemplateError(`${this.describe()}: ${label} depends on itself`);
    this.evaluating.add(label);
    try {
      const value = compute();
      cache.set(key, value);
      return value;
    } finally {
      this.evaluating.delete(label);
    }
  }

  /** A template JSON value with every expression in it (values and property names) evaluated. */
  evaluate(value: unknown): ArmValue {
    if (typeof value === "string") return isExpression(value) ? this.evaluateExpression(value) : literalString(value);
    if (typeof value === "number" || typeof value === "boolean" || value === null) return value;
    if (Array.isArray(value)) return value.map((item) => this.evaluate(item));
    if (typeof value === "object") {
      if (isPropertyLoop(value)) throw new ArmTemplateError(`${this.describe()}: property copy loops are not supported: ${JSON.stringify(value).slice(0, 120)}`);
      const out: ArmObject = {};
      for (const [rawKey, item] of Object.entries(value)) {
        const key = isExpression(rawKey) ? this.evaluateExpression(rawKey) : literalString(rawKey);
        if (typeof key !== "string") throw new ArmTemplateError(`${this.describe()}: property name ${rawKey} is not a string`);
        if (Object.hasOwn(out, key)) throw new ArmTemplateError(`${this.describe()}: property '${key}' appears twice`);
        out[key] = this.evaluate(item);
      }
      return out;
    }
    throw new ArmTemplateError(`${this.describe()}: no value (${String(value)}) where a JSON value is expected`);
  }

  /** Evaluates a value that must come out a string (a name, an id, a setting). */
  evaluateString(value: unknown, what: string): string {
    const result = this.evaluate(value);
    if (typeof result !== "string") throw new ArmTemplateError(`${this.describe()}: ${what} is ${armTypeOf(result)}, not a string`);
    return result;
  }

  /** One `[...]` expression. Errors name the failing subexpression and this whole expression. */
  evaluateExpression(expression: string): ArmValue {
    try {
      return this.evaluateNode(parseExpression(expression));
    } catch (error) {
      if (error instanceof ArmTemplateError && !error.inExpression) {
        error.message += `\n  in ${this.describe()}: ${expression}`;
        error.inExpression = true;
      }
      throw error;
    }
  }

  private evaluateNode(node: ExpressionNode): ArmValue {
    try {
      switch (node.kind) {
        case "string":
        case "number":
          return node.value;
        case "member":
          return this.member(this.evaluateNode(node.target), node.name);
        case "index":
          return this.index(this.evaluateNode(node.target), this.evaluateNode(node.index));
        case "call":
          return this.call(node);
      }
    } catch (error) {
      return locateError(error, node.text);
    }
  }

  private member(target: ArmValue, name: string): ArmValue {
    if (!isArmObject(target)) throw new ArmTemplateError(`cannot read property '${name}' of ${armTypeOf(target)} ${describeValue(target)}`);
    const value = memberOf(target, name);
    if (value === undefined) throw new ArmTemplateError(`property '${name}' does not exist (there are: ${Object.keys(target).join(", ") || "none"})`);
    return value;
  }

  private index(target: ArmValue, index: ArmValue): ArmValue {
    if (Array.isArray(target) && typeof index === "number") {
      const item = target[index];
      if (item === undefined) throw new ArmTemplateError(`index ${index} is out of range (length ${target.length})`);
      return item;
    }
    if (isArmObject(target) && typeof index === "string") return this.member(target, index);
    throw new ArmTemplateError(`cannot index ${armTypeOf(target)} with ${armTypeOf(index)}`);
  }

  private call(node: Extract<ExpressionNode, { kind: "call" }>): ArmValue {
    const name = node.name.toLowerCase();
    // Lazy forms first: if() evaluates only the branch it takes, so a branch that reads a module
    // which is not deployed is harmless when not taken (as in ARM).
    switch (name) {
      case "if": {
        if (node.args.length !== 3) throw new ArmTemplateError(`if() takes 3 arguments, got ${node.args.length}`);
        const [condition, whenTrue, whenFalse] = node.args as [ExpressionNode, ExpressionNode, ExpressionNode];
        const test = this.evaluateNode(condition);
        if (typeof test !== "boolean") throw new ArmTemplateError(`if() condition is ${armTypeOf(test)}, not bool`);
        return this.evaluateNode(test ? whenTrue : whenFalse);
      }
      case "parameters":
        return this.parameter(this.nameArgument(node));
      case "variables":
        return this.variable(this.nameArgument(node));
    }
    const builtin = builtinFunction(name);
    if (builtin) return builtin(node.args.map((arg) => this.evaluateNode(arg)));
    // Refused before its arguments are evaluated, so the message names the outermost unsupported call.
    if (!SCOPE_FUNCTIONS.has(name)) throw new ArmTemplateError(`unsupported ARM function ${node.name}()`);
    const args = node.args.map((arg) => this.evaluateNode(arg));
    const noArguments = (): void => {
      if (args.length > 0) throw new ArmTemplateError(`${node.name}() takes no arguments here`);
    };
    switch (name) {
      case "reference":
        return this.reference(args);
      case "resourceid":
        return resourceId(args, this.target);
      case "subscriptionresourceid":
        return subscriptionResourceId(args, this.target);
      case "extensionresourceid":
        return extensionResourceId(args);
      case "resourcegroup":
        noArguments();
        return this.resourceGroup();
      case "subscription":
        noArguments();
        return { id: `/subscriptions/${this.target.subscriptionId}`, subscriptionId: this.target.subscriptionId, tenantId: this.platform.tenantId };
      case "tenant":
        noArguments();
        return { id: `/tenants/${this.platform.tenantId}`, tenantId: this.platform.tenantId };
      case "environment":
        noArguments();
        return AZURE_CLOUD;
      default:
        throw new ArmTemplateError(`unsupported ARM function ${node.name}()`);
    }
  }

  private nameArgument(node: Extract<ExpressionNode, { kind: "call" }>): string {
    const [arg] = node.args;
    if (node.args.length !== 1 || !arg) throw new ArmTemplateError(`${node.name}() takes one argument`);
    const name = this.evaluateNode(arg);
    if (typeof name !== "string") throw new ArmTemplateError(`${node.name}() needs a string name, got ${armTypeOf(name)}`);
    return name;
  }

  private resourceGroup(): ArmObject {
    const { subscriptionId, resourceGroup } = this.target;
    const platformGroup = this.platform.resourceGroup;
    // The stand-in knows the location of its own resource group only; reading another's throws.
    const known = subscriptionId.toLowerCase() === this.platform.subscriptionId.toLowerCase() && resourceGroup.toLowerCase() === platformGroup.name.toLowerCase();
    return {
      id: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`,
      name: resourceGroup,
      type: "Microsoft.Resources/resourceGroups",
      ...(known ? { location: platformGroup.location } : {}),
    };
  }

  /** reference(resourceId, [apiVersion]): a module's outputs, or a resource's runtime properties from the platform stand-in. */
  private reference(args: ArmValue[]): ArmValue {
    const [target, apiVersion, full] = args;
    if (args.length < 1 || args.length > 3) throw new ArmTemplateError(`reference() takes 1 to 3 arguments, got ${args.length}`);
    if (typeof target !== "string" || !target.startsWith("/")) throw new ArmTemplateError(`reference() by anything but a full resource id is not supported, got ${describeValue(target ?? null)}`);
    if (apiVersion !== undefined && typeof apiVersion !== "string") throw new ArmTemplateError("reference(): the API version must be a string");
    if (full !== undefined) throw new ArmTemplateError("reference(..., 'Full') is not supported: only the runtime properties are stood in for");
    const resource = parseResourceId(target);
    if (resource.type.toLowerCase() === DEPLOYMENTS) return this.moduleReference(resource);
    const declared = this.template.resources.find((r) => r.type.toLowerCase() === resource.type.toLowerCase() && sameResourceId(this.resourceIdOf(r), resource.id));
    if (declared && !this.isDeployed(declared)) throw new ArmTemplateError(`reference() to ${resource.type} '${resource.names.join("/")}', which is not deployed: its condition ${String(declared.condition)} is false`);
    return runtimeProperties(resource, this.platform);
  }

  private moduleReference(resource: ResourceRef): ArmValue {
    const deployment = this.template.resources.find((r) => r.type.toLowerCase() === DEPLOYMENTS && sameResourceId(this.resourceIdOf(r), resource.id));
    const name = resource.names.join("/");
    if (!deployment) throw new ArmTemplateError(`reference() to deployment '${name}', which ${this.describe()} does not declare (looked for ${resource.id})`);
    if (!this.isDeployed(deployment)) throw new ArmTemplateError(`reference() to module deployment '${name}', which is not deployed: its condition ${String(deployment.condition)} is false`);
    return { outputs: this.nested(deployment).outputs() };
  }

  /** The id a resource declared in this template gets. */
  resourceIdOf(resource: ArmResource): string {
    const names = this.evaluateString(resource.name, `the name of a ${resource.type}`).split("/");
    return resourceId([resource.type, ...names], this.deploymentTargetOf(resource));
  }

  /** Where a resource of this template goes: a deployment may name another subscription or resource group. */
  private deploymentTargetOf(resource: ArmResource): DeploymentTarget {
    if (resource.type.toLowerCase() !== DEPLOYMENTS) return this.target;
    return {
      subscriptionId: resource.subscriptionId === undefined ? this.target.subscriptionId : this.evaluateString(resource.subscriptionId, "a deployment's subscriptionId"),
      resourceGroup: resource.resourceGroup === undefined ? this.target.resourceGroup : this.evaluateString(resource.resourceGroup, "a deployment's resourceGroup"),
    };
  }

  /** Whether the resource is deployed: its condition, if it has one, is true. */
  isDeployed(resource: ArmResource): boolean {
    if (resource.condition === undefined) return true;
    const condition = this.evaluate(resource.condition);
    if (typeof condition !== "boolean") throw new ArmTemplateError(`${this.describe()}: the condition of ${resource.type} ${resource.name} is ${armTypeOf(condition)}, not bool`);
    return condition;
  }

  /** The module a deployment resource of this template declares (whether or not its condition holds). */
  nested(deployment: ArmResource): DeploymentScope {
    const cached = this.nestedScopes.get(deployment);
    if (cached) return cached;
    if (deployment.type.toLowerCase() !== DEPLOYMENTS) throw new ArmTemplateError(`${deployment.type} is not a deployment`);
    const name = this.evaluateString(deployment.name, "a deployment name");
    const where = `module deployment '${name}'`;
    const properties = deployment.properties;
    if (!properties?.template) throw new ArmTemplateError(`${where}: only inline templates are supported (not templateLink)`);
    if (properties.expressionEvaluationOptions?.scope?.toLowerCase() !== "inner") {
      throw new ArmTemplateError(`${where}: only expressionEvaluationOptions.scope 'inner' is supported (what Bicep emits)`);
    }
    if (deployment.scope !== undefined || deployment["location"] !== undefined) {
      throw new ArmTemplateError(`${where}: deployments to a management group, subscription or tenant scope are not supported`);
    }
    const given = properties.parameters ?? {};
    const passed: PassedParameters = {
      names: Object.keys(given),
      value: (parameter) => {
        const written = given[parameter];
        let entry: { value?: unknown; reference?: unknown } | undefined;
        // Bicep passes a value that depends on a condition as one expression for the whole entry,
        // e.g. [if(cond, createObject('value', ...), createObject('value', ''))]: only the branch taken is evaluated.
        const computed = typeof written === "string";
        if (computed) {
          const result = isExpression(written) ? this.evaluateExpression(written) : written;
          if (!isArmObject(result)) throw new ArmTemplateError(`${where}: parameter '${parameter}' is ${armTypeOf(result)} ${describeValue(result)}, not { value }`);
          entry = result;
        } else entry = written;
        if (entry?.reference !== undefined) throw new ArmTemplateError(`${where}: Key Vault parameter references are not supported (parameter '${parameter}')`);
        if (entry === undefined || !("value" in entry)) throw new ArmTemplateError(`${where}: parameter '${parameter}' has no value`);
        // Inner scope: the values a module is passed are evaluated where the module is declared (a
        // computed entry's value is evaluated already).
        return computed ? (entry.value as ArmValue) : this.evaluate(entry.value);
      },
    };
    const scope = new DeploymentScope(properties.template, name, this.deploymentTargetOf(deployment), this.platform, passed, { scope: this, deployment });
    this.nestedScopes.set(deployment, scope);
    return scope;
  }

  /** The module whose deployment resource has this literal name. */
  module(name: string): DeploymentScope {
    const deployment = this.template.resources.find((r) => r.type.toLowerCase() === DEPLOYMENTS && r.name === name);
    if (!deployment) throw new ArmTemplateError(`${this.describe()} declares no module deployment named '${name}'`);
    return this.nested(deployment);
  }

  /** This deployment's outputs as reference() shows them ({ name: { type, value } }), each evaluated when first read. */
  outputs(): ArmObject {
    const outputs = Object.entries(this.template.outputs ?? {}).filter(([, output]) => output.condition === undefined || this.evaluate(output.condition) === true);
    return lazyObject(outputs.map(([name, output]) => [name, (): ArmValue => ({ type: output.type, value: this.outputValue(name, output) })] as const));
  }

  private outputValue(name: string, output: ArmOutput): ArmValue {
    const where = `${this.describe()}: output '${name}'`;
    if (output.copy !== undefined) throw new ArmTemplateError(`${where}: output copy loops are not supported`);
    if (/^secure/i.test(output.type)) throw new ArmTemplateError(`${where}: secure outputs are not returned by reference()`);
    const value = this.evaluate(output.value);
    if (!matchesType(output.type, value)) throw new ArmTemplateError(`${where} is declared ${output.type} but is ${armTypeOf(value)}`);
    return value;
  }

  /**
   * The resources of one type that this deployment and the modules it deploys would create: a
   * resource or module whose condition is false is left out, with everything in it. Only the
   * conditions on the way are evaluated.
   */
  deployedResourcesOfType(type: string): { resource: ArmResource; scope: DeploymentScope }[] {
    const wanted = type.toLowerCase();
    return this.template.resources.flatMap((resource) => {
      const kind = resource.type.toLowerCase();
      if (kind !== wanted && kind !== DEPLOYMENTS) return [];
      if (resource["copy"] !== undefined) throw new ArmTemplateError(`${this.describe()}: resource copy loops are not supported (${resource.type} ${resource.name})`);
      if (!this.isDeployed(resource)) return [];
      const here = kind === wanted ? [{ resource, scope: this as DeploymentScope }] : [];
      return kind === DEPLOYMENTS ? [...here, ...this.nested(resource).deployedResourcesOfType(type)] : here;
    });
  }
}
