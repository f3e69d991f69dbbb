import { ArmTemplateError, describeValue, type ArmValue } from "./values";

/** Resource ids as ARM builds them: /subscriptions/{s}/resourceGroups/{g}/providers/{ns}/{type}/{name}[/{type}/{name}...]. */

/** The subscription and resource group a deployment writes into. */
export interface DeploymentTarget {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
}

/** A resource id taken apart: what reference() hands the platform stand-in. */
export interface ResourceRef {
  readonly id: string;
  readonly subscriptionId: string;
  /** Absent for subscription-level resources. */
  readonly resourceGroup?: string;
  /** Full type, e.g. Microsoft.KeyVault/vaults/secrets. */
  readonly type: string;
  /** One name per type segment after the namespace, e.g. [vault, secret]. */
  readonly names: readonly string[];
}

function strings(name: string, args: ArmValue[]): string[] {
  return args.map((arg) => {
    if (typeof arg !== "string") throw new ArmTemplateError(`${name}() expects strings, got ${describeValue(arg)}`);
    return arg;
  });
}

/** `Microsoft.X/a/b` + [n1, n2] → `providers/Microsoft.X/a/n1/b/n2`. */
function providerPath(fn: string, type: string, names: readonly string[]): string {
  const [namespace, ...types] = type.split("/");
  if (!namespace || types.length === 0) throw new ArmTemplateError(`${fn}(): '${type}' is not a resource type`);
  if (names.length !== types.length) throw new ArmTemplateError(`${fn}(): type ${type} needs ${types.length} name(s), got ${names.length}`);
  return `providers/${namespace}/${types.map((t, i) => `${t}/${names[i] as string}`).join("/")}`;
}

/** resourceId([subscriptionId], [resourceGroupName], resourceType, name1, [name2, ...]). */
export function resourceId(args: ArmValue[], target: DeploymentTarget): string {
  const parts = strings("resourceId", args);
  const typeAt = parts.findIndex((part) => part.includes("/"));
  if (typeAt < 0 || typeAt > 2) throw new ArmTemplateError("resourceId(): cannot tell which argument is the resource type");
  const leading = parts.slice(0, typeAt);
  const subscriptionId = leading.length === 2 ? (leading[0] as string) : target.subscriptionId;
  const resourceGroup = leading.length === 0 ? target.resourceGroup : (leading[leading.length - 1] as string);
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/${providerPath("resourceId", parts[typeAt] as string, parts.slice(typeAt + 1))}`;
}

/** subscriptionResourceId([subscriptionId], resourceType, name1, [name2, ...]). */
export function subscriptionResourceId(args: ArmValue[], target: DeploymentTarget): string {
  const parts = strings("subscriptionResourceId", args);
  const typeAt = parts.findIndex((part) => part.includes("/"));
  if (typeAt < 0 || typeAt > 1) throw new ArmTemplateError("subscriptionResourceId(): cannot tell which argument is the resource type");
  const subscriptionId = typeAt === 1 ? (parts[0] as string) : target.subscriptionId;
  return `/subscriptions/${subscriptionId}/${providerPath("subscriptionResourceId", parts[typeAt] as string, parts.slice(typeAt + 1))}`;
}

/** extensionResourceId(baseResourceId, resourceType, name1, [name2, ...]). */
export function extensionResourceId(args: ArmValue[]): string {
  const [base, type, ...names] = strings("extensionResourceId", args);
  if (base === undefined || type === undefined) throw new ArmTemplateError("extensionResourceId() needs a base id and a resource type");
  return `${base.replace(/\/$/, "")}/${providerPath("extensionResourceId", type, names)}`;
}

/** Takes apart a subscription- or resource-group-level resource id. Extension resources (a second /providers/) are refused. */
export function parseResourceId(id: string): ResourceRef {
  const segments = id.split("/");
  const fail = (): never => {
    throw new ArmTemplateError(`unsupported resource id '${id}' (expected /subscriptions/{s}[/resourceGroups/{g}]/providers/{ns}/{type}/{name}...)`);
  };
  if (segments[0] !== "" || segments[1]?.toLowerCase() !== "subscriptions" || !segments[2]) return fail();
  let at = 3;
  let resourceGroup: string | undefined;
  if (segments[at]?.toLowerCase() === "resourcegroups") {
    resourceGroup = segments[at + 1];
    if (!resourceGroup) return fail();
    at += 2;
  }
  if (segments[at]?.toLowerCase() !== "providers") return fail();
  const [namespace, ...rest] = segments.slice(at + 1);
  if (!namespace || rest.length === 0 || rest.length % 2 !== 0 || rest.some((part) => part === "" || part.toLowerCase() === "providers")) return fail();
  const types = rest.filter((_, i) => i % 2 === 0);
  const names = rest.filter((_, i) => i % 2 === 1);
  return { id, subscriptionId: segments[2], ...(resourceGroup === undefined ? {} : { resourceGroup }), type: [namespace, ...types].join("/"), names };
}

/** Resource ids compare case-insensitively in ARM. */
export function sameResourceId(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
