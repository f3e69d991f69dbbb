import type { StandInVault } from "../keyVaultReferences";
import { DeploymentScope, type EvaluationOptions } from "./deployment";
import { vaultUriOf } from "./platform";
import { sameResourceId } from "./resourceIds";
import type { ArmResource, ArmTemplate } from "./template";
import { ArmTemplateError, armTypeOf, isArmObject, type ArmObject, type ArmValue } from "./values";

/** The function app the template deploys: the one deployed Microsoft.Web/sites whose kind includes functionapp. */
function findFunctionApp(root: DeploymentScope): { resource: ArmResource; scope: DeploymentScope } {
  const sites = root.deployedResourcesOfType("Microsoft.Web/sites").filter(({ resource, scope }) => {
    const kind = resource["kind"] === undefined ? "" : scope.evaluateString(resource["kind"], "a site's kind");
    return kind.toLowerCase().split(",").includes("functionapp");
  });
  const [site] = sites;
  if (sites.length !== 1 || !site) throw new ArmTemplateError(`expected the template to deploy one function app (Microsoft.Web/sites of kind functionapp), found ${sites.length}`);
  return site;
}

/**
 * The app settings Azure would give the function app: the properties of its deployed
 * Microsoft.Web/sites/config 'appsettings' resource, evaluated with these parameters against the
 * platform stand-in. Settings from modules or branches that are not deployed are absent. Key Vault
 * references are returned as written (resolve them with resolveKeyVaultReferences).
 */
export function siteAppSettings(template: ArmTemplate, options: EvaluationOptions): Record<string, string> {
  const root = DeploymentScope.root(template, options);
  const { resource: site, scope } = findFunctionApp(root);
  const siteConfig = site.properties?.["siteConfig"];
  if (typeof siteConfig === "object" && siteConfig !== null && "appSettings" in siteConfig) {
    throw new ArmTemplateError("siteConfig.appSettings is not supported: app settings are read from one Microsoft.Web/sites/config 'appsettings' resource");
  }
  const settingsId = `${scope.resourceIdOf(site)}/config/appsettings`;
  const configs = root.deployedResourcesOfType("Microsoft.Web/sites/config").filter(({ resource, scope: at }) => sameResourceId(at.resourceIdOf(resource), settingsId));
  const [config] = configs;
  if (configs.length > 1) throw new ArmTemplateError(`${configs.length} appsettings resources for one site (${settingsId})`);
  if (!config) return {};
  const properties = config.scope.evaluate(config.resource.properties ?? {});
  if (!isArmObject(properties)) throw new ArmTemplateError(`the appsettings properties are ${armTypeOf(properties)}, not an object`);
  const settings: Record<string, string> = {};
  for (const [name, value] of Object.entries(properties)) {
    // App settings are strings; what Azure does with another JSON type is not assumed here.
    if (typeof value !== "string") throw new ArmTemplateError(`app setting ${name} is ${armTypeOf(value)}, not a string`);
    settings[name] = value;
  }
  return settings;
}

/**
 * The function app's Microsoft.Web/sites resource with every expression evaluated (plus its `id`),
 * e.g. properties.functionAppConfig.runtime. dependsOn and condition are left out.
 */
export function functionAppSite(template: ArmTemplate, options: EvaluationOptions): ArmObject {
  const { resource, scope } = findFunctionApp(DeploymentScope.root(template, options));
  const { dependsOn: _dependsOn, condition: _condition, ...declared } = resource;
  const site = scope.evaluate(declared);
  if (!isArmObject(site)) throw new ArmTemplateError("the site resource did not evaluate to an object");
  return { id: scope.resourceIdOf(resource), ...site };
}

/** The main template's outputs (name → value), as azd would store them. */
export function deploymentOutputs(template: ArmTemplate, options: EvaluationOptions): Record<string, ArmValue> {
  const outputs = DeploymentScope.root(template, options).outputs();
  return Object.fromEntries(Object.entries(outputs).map(([name, output]) => [name, isArmObject(output) ? (output["value"] ?? null) : null]));
}

/**
 * The Key Vaults the template would fill, as stand-ins for resolveKeyVaultReferences: every
 * deployed Microsoft.KeyVault/vaults/secrets with the value the template writes, in the vault the
 * platform stand-in gives that vault (its keyVaultUri, else https://<vault>.vault.azure.net/).
 */
export function deployedKeyVaults(template: ArmTemplate, options: EvaluationOptions): StandInVault[] {
  const vaults = new Map<string, Record<string, string>>();
  for (const { resource, scope } of DeploymentScope.root(template, options).deployedResourcesOfType("Microsoft.KeyVault/vaults/secrets")) {
    const [vaultName, secretName, ...rest] = scope.evaluateString(resource.name, "a secret's name").split("/");
    if (!vaultName || !secretName || rest.length > 0) throw new ArmTemplateError(`secret name '${resource.name}' is not <vault>/<secret>`);
    const value = scope.evaluateString(resource.properties?.["value"], `the value of secret ${secretName}`);
    const host = new URL(vaultUriOf(vaultName, options.platform)).host;
    vaults.set(host, { ...vaults.get(host), [secretName]: value });
  }
  return [...vaults].map(([host, secrets]) => ({ host, secrets }));
}
