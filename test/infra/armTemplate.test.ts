import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SETTINGS } from "../../shared/config/settings";
import { TENANT_POISON_QUEUE, TENANT_QUEUE } from "../../shared/domain/tenantPoll";
import { DeploymentScope, isExpression, loadCompiledTemplate, parseExpression, standInPlatform, type ArmResource, type ExpressionNode } from "../support/arm";

/**
 * Checks the ARM template compiled from infra/main.bicep by `bash scripts/check-infra.sh` (the real
 * Bicep compiler): the app settings are exactly what shared/config knows, none holds a key, and
 * every role assignment sits on one resource.
 */

const root = path.resolve(__dirname, "../..");

/** Settings the code knows that infra deliberately leaves unset. */
const NOT_SET_BY_INFRA: Readonly<Record<string, string>> = {
  AzureWebJobsStorage: "that is the connection-string form; infra sets the identity-based AzureWebJobsStorage__* keys instead",
  STATE_STORAGE: "the state table lives in the host storage account (AzureWebJobsStorage__tableServiceUri)",
  ACS_CONNECTION_STRING: "it carries an access key; in Azure the app sends with its managed identity through ACS_ENDPOINT",
  GRAPH_ENDPOINT: "the default (https://graph.microsoft.com) is right in Azure; only emulators and relays change it",
  AZURE_AUTHORITY_HOST: "the global cloud's authority is the default, and the only cloud that serves the restore APIs; it is for emulators",
  TEAMS_WEBHOOK_ALLOWED_HOSTS: "for self-hosted relays and tests; the Teams and Power Automate hosts are built in",
  ALERT_OUTBOX_DIR: "the file channel is for local development",
  ALERT_EMAIL_RATE_LIMIT: "the code takes ACS's limit from the sender's domain (Azure-managed or custom)",
  TEAMS_RATE_LIMIT: "the documented connector limit is the default; raise it only for a known higher limit",
  RESTOREWATCH_EMULATOR_ORIGINS: "local emulators only: in Azure a token goes to Microsoft Graph and Entra ID and nowhere else",
};

/**
 * Set only when the feature is configured (email recipients, a Teams webhook and its vault, a baseline time, an app
 * registration to sign in to Graph as, with the tenant it signs in to).
 */
const CONDITIONAL = ["ACS_ENDPOINT", "ALERT_EMAIL_FROM", "ALERT_EMAIL_TO", "TEAMS_WEBHOOK_URL", "KEY_VAULT_URI", "ALERT_BASELINE_SINCE", "GRAPH_CLIENT_ID", "GRAPH_TENANT_ID"];

/** Host settings that are not restorewatch's: identity-based host storage and Entra-authenticated App Insights. */
const HOST_STORAGE_KEYS = ["credential", "clientId", "blobServiceUri", "queueServiceUri", "tableServiceUri"].map((k) => `AzureWebJobsStorage__${k}`);
const PLATFORM_SETTINGS = ["APPLICATIONINSIGHTS_CONNECTION_STRING", "APPLICATIONINSIGHTS_AUTHENTICATION_STRING", "NODE_OPTIONS"];
/** The fan-out's queue connection (connection "TenantQueue" of the timer's output binding and pollTenant's trigger), read by the host. */
const TENANT_QUEUE_KEYS = ["queueServiceUri", "credential", "clientId"].map((k) => `TenantQueue__${k}`);

/** App settings Flex Consumption rejects or ignores (the runtime comes from functionAppConfig). */
const FLEX_FORBIDDEN = [
  "FUNCTIONS_WORKER_RUNTIME",
  "FUNCTIONS_WORKER_RUNTIME_VERSION",
  "FUNCTIONS_EXTENSION_VERSION",
  "WEBSITE_NODE_DEFAULT_VERSION",
  "WEBSITE_RUN_FROM_PACKAGE",
  "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
  "WEBSITE_CONTENTSHARE",
  "SCM_DO_BUILD_DURING_DEPLOYMENT",
];

/** Built-in roles and the one kind of resource each may be assigned on. */
const EXPECTED_ROLES: Readonly<Record<string, { name: string; scopeType: string }>> = {
  "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": { name: "Storage Blob Data Owner", scopeType: "Microsoft.Storage/storageAccounts" },
  "974c5e8b-45b9-4653-ba55-5f855dd0fb88": { name: "Storage Queue Data Contributor", scopeType: "Microsoft.Storage/storageAccounts" },
  "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3": { name: "Storage Table Data Contributor", scopeType: "Microsoft.Storage/storageAccounts/tableServices/tables" },
  "3913510d-42f4-4e42-8a64-420c390055eb": { name: "Monitoring Metrics Publisher", scopeType: "Microsoft.Insights/components" },
  "4633458b-17de-408a-b874-0445c86b69e6": { name: "Key Vault Secrets User", scopeType: "Microsoft.KeyVault/vaults" },
  "09976791-48a7-449e-bb21-39d1a415f350": { name: "Communication and Email Service Owner", scopeType: "Microsoft.Communication/communicationServices" },
  // The alert rules' own identity (test/infra/alertRulesAndWorkbook.test.ts checks whose it is).
  "acdd72a7-3385-48ef-bd42-f606fba81ae7": { name: "Reader", scopeType: "Microsoft.Insights/components" },
};

// ---------------------------------------------------------------------------------------------
// The compiled template, through the shared evaluator (test/support/arm)
// ---------------------------------------------------------------------------------------------

/** Every resource in the template and its modules, with the deployment its expressions are evaluated in. */
function allResources(scope: DeploymentScope): { resource: ArmResource; scope: DeploymentScope }[] {
  return scope.template.resources.flatMap((resource) => {
    const nested = resource.type === "Microsoft.Resources/deployments" ? scope.nested(resource) : undefined;
    return [{ resource, scope }, ...(nested ? allResources(nested) : [])];
  });
}

function resourceOfType(scope: DeploymentScope, type: string): ArmResource {
  const found = scope.template.resources.filter((r) => r.type === type);
  expect(found, `one ${type}`).toHaveLength(1);
  return found[0] as ArmResource;
}

// ---------------------------------------------------------------------------------------------
// Where each app setting comes from: its source text, and whether only one branch of an if() sets it
// ---------------------------------------------------------------------------------------------

/** The JSON value an expression of the form variables('x') / parameters('x') stands for, in its scope. */
function resolveReference(node: ExpressionNode, scope: DeploymentScope): { value: unknown; scope: DeploymentScope } | undefined {
  if (node.kind !== "call" || node.args.length !== 1 || node.args[0]?.kind !== "string") return undefined;
  const name = node.args[0].value;
  if (node.name === "variables") {
    const variables = scope.template.variables ?? {};
    if (!(name in variables)) throw new Error(`no variable '${name}'`);
    return { value: variables[name], scope };
  }
  if (node.name === "parameters") {
    if (scope.parent) {
      const passed = scope.parent.deployment.properties?.parameters?.[name];
      if (typeof passed === "string") throw new Error(`parameter '${name}' is passed as one expression: ${passed}`);
      if (passed) return { value: passed.value, scope: scope.parent.scope };
    }
    const declared = scope.template.parameters?.[name];
    if (!declared) throw new Error(`no parameter '${name}'`);
    return { value: declared.defaultValue, scope };
  }
  return undefined;
}

interface SettingEntry {
  /** The value as written in the template (an expression's source, or the JSON value). */
  readonly text: string;
  /** Only set on one branch of an if(). */
  readonly conditional: boolean;
}

/** Every key an app-settings object can have, however it is composed (union, if, createObject, variables, parameters). */
function collectSettings(value: unknown, scope: DeploymentScope, conditional = false, into = new Map<string, SettingEntry>()): Map<string, SettingEntry> {
  const add = (key: string, text: string): void => {
    if (into.has(key)) throw new Error(`app setting ${key} is set twice`);
    into.set(key, { text, conditional });
  };
  if (isExpression(value)) {
    collectNode(parseExpression(value), scope, conditional, into);
  } else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    for (const [key, item] of Object.entries(value)) add(key, typeof item === "string" ? item : JSON.stringify(item));
  } else {
    throw new Error(`app settings are not an object: ${JSON.stringify(value)}`);
  }
  return into;
}

function collectNode(node: ExpressionNode, scope: DeploymentScope, conditional: boolean, into: Map<string, SettingEntry>): void {
  const reference = resolveReference(node, scope);
  if (reference) {
    collectSettings(reference.value, reference.scope, conditional, into);
    return;
  }
  if (node.kind !== "call") throw new Error(`cannot read app settings from ${node.text}`);
  switch (node.name) {
    case "union":
    case "shallowMerge":
    case "createArray":
      for (const arg of node.args) collectNode(arg, scope, conditional, into);
      return;
    case "if":
      for (const arg of node.args.slice(1)) collectNode(arg, scope, true, into);
      return;
    case "createObject":
      for (let i = 0; i < node.args.length; i += 2) {
        const key = node.args[i];
        const item = node.args[i + 1];
        if (key?.kind !== "string" || !item) throw new Error(`createObject with a computed key: ${node.text}`);
        if (into.has(key.value)) throw new Error(`app setting ${key.value} is set twice`);
        into.set(key.value, { text: item.text, conditional });
      }
      return;
    default:
      throw new Error(`cannot read app settings from ${node.name}(): ${node.text}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------

describe("infra/main.bicep compiled to ARM", () => {
  const { template, text } = loadCompiledTemplate();
  const main = DeploymentScope.root(template, { platform: standInPlatform() });
  const app = main.module("function-app");
  const settingsResource = app.template.resources.find((r) => r.type === "Microsoft.Web/sites/config" && r.name.includes("'appsettings'"));
  if (!settingsResource) throw new Error("the function-app module has no Microsoft.Web/sites/config 'appsettings' resource");
  const settings = collectSettings(settingsResource.properties, app);
  const names = [...settings.keys()];
  const known = new Map(SETTINGS.map((s) => [s.name, s]));
  const parameters = template.parameters ?? {};

  describe("app settings", () => {
    it("are set in one place: the appsettings resource, not siteConfig", () => {
      const site = resourceOfType(app, "Microsoft.Web/sites");
      expect((site.properties?.["siteConfig"] as Record<string, unknown> | undefined)?.["appSettings"]).toBeUndefined();
      expect(names.length).toBeGreaterThan(10);
    });

    it("are each a setting shared/config knows, an identity-based host storage key, or a documented platform setting", () => {
      const unknown = names.filter((name) => !known.has(name) && !HOST_STORAGE_KEYS.includes(name) && !TENANT_QUEUE_KEYS.includes(name) && !PLATFORM_SETTINGS.includes(name));
      expect(unknown, "app settings no code reads (misspelt?)").toEqual([]);
    });

    it("cover every setting production needs; the rest are listed, with a reason, as not set by infra", () => {
      const missing = SETTINGS.map((s) => s.name).filter((name) => !settings.has(name) && !(name in NOT_SET_BY_INFRA));
      expect(missing, "settings shared/config reads that infra neither sets nor lists in NOT_SET_BY_INFRA").toEqual([]);
      const listedButSet = Object.keys(NOT_SET_BY_INFRA).filter((name) => settings.has(name));
      expect(listedButSet).toEqual([]);
      const stale = Object.keys(NOT_SET_BY_INFRA).filter((name) => !known.has(name));
      expect(stale, "NOT_SET_BY_INFRA names settings the code no longer has").toEqual([]);
      for (const key of [...HOST_STORAGE_KEYS, ...TENANT_QUEUE_KEYS, ...PLATFORM_SETTINGS]) expect(settings.has(key), key).toBe(true);
    });

    it("set the channels and the baseline only when configured, and everything else always", () => {
      expect(names.filter((name) => settings.get(name)?.conditional).sort()).toEqual([...CONDITIONAL].sort());
    });

    it("sign in to Graph as an app registration only when graphAppClientId is given, in the deployment's tenant", () => {
      expect(settings.get("GRAPH_CLIENT_ID")).toEqual({ text: "parameters('graphAppClientId')", conditional: true });
      expect(settings.get("GRAPH_TENANT_ID")).toEqual({ text: "tenant().tenantId", conditional: true });
      expect(parameters["graphAppClientId"]).toMatchObject({ type: "string", defaultValue: "" });
      expect(template.variables?.["graphAppEnabled"]).toBe("[not(empty(parameters('graphAppClientId')))]");
    });

    it("include none of the settings Flex Consumption rejects", () => {
      expect(names.filter((name) => FLEX_FORBIDDEN.includes(name))).toEqual([]);
    });

    it("hold no key or connection string: storage and ACS go through the managed identity, Teams through Key Vault", () => {
      const keyLike = /\blist[A-Z]\w*\(|AccountKey=|accesskey=|SharedAccessSignature|[?&]sig=|DefaultEndpointsProtocol/i;
      expect(names.filter((name) => keyLike.test(settings.get(name)?.text ?? ""))).toEqual([]);
      // Nowhere in the template is a key read back (listKeys, listSecrets, listAccountSas, ...).
      expect(text).not.toMatch(/\blist[A-Z]\w*\(/);
      expect(settings.get("AzureWebJobsStorage__credential")?.text).toBe("'managedidentity'");
      expect(settings.get("AzureWebJobsStorage__clientId")?.text).toBe(settings.get("AZURE_CLIENT_ID")?.text);
      expect(settings.get("APPLICATIONINSIGHTS_AUTHENTICATION_STRING")?.text).toMatch(/^format\('ClientId=\{0\};Authorization=AAD'/);
      // Every setting the registry marks secret that infra sets must be a Key Vault reference.
      for (const name of names.filter((n) => known.get(n)?.secret)) {
        expect(settings.get(name)?.text, name).toMatch(/^format\('@Microsoft\.KeyVault\(SecretUri=\{0\}\)'/);
      }
      expect(names.filter((n) => known.get(n)?.secret)).toEqual(["TEAMS_WEBHOOK_URL"]);
    });

    it("the App Insights connection string carries no usable key: local auth is disabled", () => {
      expect(settings.get("APPLICATIONINSIGHTS_CONNECTION_STRING")?.text).toContain("outputs.connectionString");
      const insights = resourceOfType(main.module("monitoring"), "Microsoft.Insights/components");
      expect(insights.properties?.["DisableLocalAuth"]).toBe(true);
    });

    it("are parameters with the same defaults as the code", () => {
      const tunable = Object.entries(parameters).filter(([, p]) => p.metadata?.appSetting !== undefined);
      expect(tunable.length).toBeGreaterThanOrEqual(12);
      for (const [parameter, declared] of tunable) {
        const setting = declared.metadata?.appSetting as string;
        const doc = known.get(setting);
        expect(doc, `parameter ${parameter} names unknown setting ${setting}`).toBeDefined();
        expect(String(declared.defaultValue), `default of ${parameter} (${setting})`).toBe(doc?.defaultValue ?? "");
        expect(settings.get(setting)?.text, `${setting} is set from parameter ${parameter}`).toContain(`parameters('${parameter}')`);
      }
      // Settings an operator tunes all have a parameter; the rest come from the resources deployed.
      const fromResources = new Set([...HOST_STORAGE_KEYS, ...TENANT_QUEUE_KEYS, ...PLATFORM_SETTINGS, "AZURE_CLIENT_ID", "ACS_ENDPOINT", "TEAMS_WEBHOOK_URL", "KEY_VAULT_URI", "GRAPH_TENANT_ID"]);
      const withParameter = new Set(tunable.map(([, p]) => p.metadata?.appSetting));
      expect(names.filter((name) => !fromResources.has(name) && !withParameter.has(name))).toEqual([]);
    });

    it("turn Node's source maps on, so stack traces name the TypeScript source of the package", () => {
      expect(settings.get("NODE_OPTIONS")?.text).toBe("'--enable-source-maps'");
    });

    it("the Teams webhook URL is a secure parameter and never an output", () => {
      expect(parameters["teamsWebhookUrl"]?.type).toBe("securestring");
      expect(JSON.stringify((template as { outputs?: unknown }).outputs ?? {})).not.toContain("teamsWebhookUrl");
    });
  });

  describe("tags", () => {
    it("put azd-service-name on the site only, not on the plan (azd before 1.23.4 refuses a tag found twice)", () => {
      const tagsOf = (type: string): string => JSON.stringify(resourceOfType(app, type)["tags"]);
      expect(tagsOf("Microsoft.Web/sites")).toContain("siteTags");
      expect(tagsOf("Microsoft.Web/serverfarms")).not.toContain("siteTags");
      const passed = app.parent?.deployment.properties?.parameters;
      expect(JSON.stringify(passed?.["siteTags"])).toContain("siteTags");
      expect(JSON.stringify(passed?.["tags"])).not.toContain("azd-service-name");
      expect(JSON.stringify(template.variables?.["siteTags"])).toContain("createObject('azd-service-name', 'restorewatch')");
    });
  });

  describe("role assignments", () => {
    const assignments = allResources(main).filter(({ resource }) => resource.type === "Microsoft.Authorization/roleAssignments");

    it("are exactly the six the app needs and the alert rules' Reader, each on the one resource it is about", () => {
      const found = assignments.map(({ resource, scope }) => {
        const scopeNode = resource.scope !== undefined && isExpression(resource.scope) ? parseExpression(resource.scope) : undefined;
        // scope: resourceId('<provider>/<type>', name): one resource, never the resource group or subscription.
        expect(scopeNode?.kind === "call" && scopeNode.name === "resourceId", `scope of ${resource.name}: ${resource.scope}`).toBe(true);
        const scopeType = scopeNode?.kind === "call" && scopeNode.args[0]?.kind === "string" ? scopeNode.args[0].value : "";
        const definition = parseExpression(String(resource.properties?.["roleDefinitionId"]));
        expect(definition.kind === "call" && definition.name === "subscriptionResourceId" && definition.args[0]?.kind === "string" && definition.args[0].value === "Microsoft.Authorization/roleDefinitions").toBe(true);
        const roleId = definition.kind === "call" ? scope.evaluateString(`[${definition.args[1]?.text ?? ""}]`, "a role definition id") : "";
        return { role: EXPECTED_ROLES[roleId]?.name ?? roleId, scopeType };
      });
      expect(found.sort((a, b) => a.role.localeCompare(b.role))).toEqual(
        Object.values(EXPECTED_ROLES)
          .map((r) => ({ role: r.name, scopeType: r.scopeType }))
          .sort((a, b) => a.role.localeCompare(b.role)),
      );
    });

    it("are named guid(resource, identity, role) so a re-deploy updates rather than duplicates them", () => {
      for (const { resource } of assignments) {
        const name = parseExpression(resource.name);
        expect(name.kind === "call" && name.name === "guid", resource.name).toBe(true);
        if (name.kind !== "call") continue;
        expect(name.args.map((a) => a.text)).toEqual([(resource.scope ?? "").slice(1, -1), "parameters('identityId')", expect.any(String)]);
        expect(resource.properties?.["principalType"]).toBe("ServicePrincipal");
      }
    });

    it("the table role is on the state table the template creates, not on the account, and follows stateTableName", () => {
      const TABLES = "Microsoft.Storage/storageAccounts/tableServices/tables";
      for (const stateTableName of ["restorewatch", "rwstate"]) {
        const deployment = DeploymentScope.root(template, { parameters: { stateTableName }, platform: standInPlatform() });
        const tables = deployment.deployedResourcesOfType(TABLES).map(({ resource, scope }) => scope.resourceIdOf(resource));
        expect(tables).toHaveLength(1);
        expect(tables[0]).toMatch(new RegExp(`/providers/Microsoft\\.Storage/storageAccounts/st[a-z0-9]+/tableServices/default/tables/${stateTableName}$`));
        const tableRole = deployment
          .deployedResourcesOfType("Microsoft.Authorization/roleAssignments")
          .filter(({ resource, scope }) => scope.evaluateString(resource.properties?.["roleDefinitionId"], "a role definition id").endsWith("/0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"))
          .map(({ resource, scope }) => scope.evaluateString(resource.scope, "a role assignment scope"));
        expect(tableRole).toEqual(tables);
      }
    });

    it("the fan-out's queues (tenant-poll and the host's tenant-poll-poison) are created, on the account whose queue role the identity holds; TenantQueue__* reach it with that identity", () => {
      const deployment = DeploymentScope.root(template, { platform: standInPlatform() });
      const queues = deployment.deployedResourcesOfType("Microsoft.Storage/storageAccounts/queueServices/queues").map(({ resource, scope }) => scope.resourceIdOf(resource));
      expect(queues.map((id) => id.split("/").pop()).sort()).toEqual([TENANT_QUEUE, TENANT_POISON_QUEUE]);
      const account = (queues[0] ?? "").split("/queueServices/")[0] ?? "";
      const queueRoles = deployment
        .deployedResourcesOfType("Microsoft.Authorization/roleAssignments")
        .filter(({ resource, scope }) => scope.evaluateString(resource.properties?.["roleDefinitionId"], "a role definition id").endsWith("/974c5e8b-45b9-4653-ba55-5f855dd0fb88"))
        .map(({ resource, scope }) => scope.evaluateString(resource.scope, "a role assignment scope"));
      expect(queueRoles).toEqual([account]);
      expect(settings.get("TenantQueue__credential")?.text).toBe("'managedidentity'");
      expect(settings.get("TenantQueue__clientId")?.text).toBe(settings.get("AZURE_CLIENT_ID")?.text);
      expect(settings.get("TenantQueue__queueServiceUri")?.text).toBe(settings.get("AzureWebJobsStorage__queueServiceUri")?.text);
    });

    it("the ACS send role is the one infra/README.md explains, overridable by parameter", () => {
      expect(parameters["acsSendRoleDefinitionId"]?.defaultValue).toBe("09976791-48a7-449e-bb21-39d1a415f350");
    });
  });

  describe("azd wiring", () => {
    it("main.parameters.json sets only declared parameters, and secrets only from the environment", () => {
      const file = JSON.parse(readFileSync(path.join(root, "infra/main.parameters.json"), "utf8")) as { parameters: Record<string, { value: unknown }> };
      const entries = Object.entries(file.parameters);
      expect(entries.map(([name]) => name).filter((name) => !(name in parameters))).toEqual([]);
      for (const [name, { value }] of entries) {
        if (parameters[name]?.type === "securestring") expect(value, name).toMatch(/^\$\{[A-Z_]+=?\}$/);
      }
    });

    it("the azure.yaml hook prints only outputs the template has", () => {
      const outputs = Object.keys((template as { outputs?: Record<string, unknown> }).outputs ?? {});
      const yaml = readFileSync(path.join(root, "azure.yaml"), "utf8");
      const used = new Set([...yaml.matchAll(/\$\{([A-Z_]+)\}|\$env:([A-Z_]+)/g)].map((m) => m[1] ?? m[2]));
      used.delete("AZURE_RESOURCE_GROUP"); // azd's own
      expect([...used].filter((name) => name !== undefined && !outputs.includes(name))).toEqual([]);
      expect(used.has("MANAGED_IDENTITY_PRINCIPAL_ID")).toBe(true);
    });
  });

  describe("resources", () => {
    it("a Flex Consumption plan and a Linux ExpressionNode 22 app, HTTPS only, TLS 1.2, FTP and basic auth off, running as the user-assigned identity", () => {
      const plan = resourceOfType(app, "Microsoft.Web/serverfarms");
      expect(plan["sku"]).toEqual({ name: "FC1", tier: "FlexConsumption" });
      expect(plan.properties?.["reserved"]).toBe(true);
      const site = resourceOfType(app, "Microsoft.Web/sites");
      expect(site["kind"]).toBe("functionapp,linux");
      expect((site["identity"] as { type: string }).type).toBe("UserAssigned");
      const props = site.properties as Record<string, unknown> & { siteConfig: Record<string, unknown>; functionAppConfig: Record<string, Record<string, unknown>> };
      expect(props["httpsOnly"]).toBe(true);
      expect(props["keyVaultReferenceIdentity"]).toBe("[parameters('identityId')]");
      expect(props.siteConfig).toMatchObject({ minTlsVersion: "1.2", scmMinTlsVersion: "1.2", ftpsState: "Disabled" });
      expect(props.functionAppConfig["runtime"]).toEqual({ name: "node", version: "22" });
      expect(props.functionAppConfig["deployment"]).toMatchObject({
        storage: { type: "blobContainer", authentication: { type: "UserAssignedIdentity", userAssignedIdentityResourceId: "[parameters('identityId')]" } },
      });
      const policies = app.template.resources.filter((r) => r.type === "Microsoft.Web/sites/basicPublishingCredentialsPolicies");
      expect(policies.map((p) => p.properties?.["allow"])).toEqual([false, false]);
      expect(parameters["instanceMemoryMB"]?.defaultValue).toBe(2048);
    });

    it("storage without shared keys or public blob access, TLS 1.2", () => {
      const storage = resourceOfType(main.module("storage"), "Microsoft.Storage/storageAccounts");
      expect(storage.properties).toMatchObject({ allowSharedKeyAccess: false, allowBlobPublicAccess: false, minimumTlsVersion: "TLS1_2", supportsHttpsTrafficOnly: true });
    });

    it("Key Vault in RBAC mode with soft delete and purge protection", () => {
      const vault = resourceOfType(main.module("key-vault"), "Microsoft.KeyVault/vaults");
      expect(vault.properties).toMatchObject({ enableRbacAuthorization: true, enableSoftDelete: true, enablePurgeProtection: true });
    });

    it("ACS with an Azure-managed domain linked, and no access keys", () => {
      const acs = main.module("communication");
      const domain = resourceOfType(acs, "Microsoft.Communication/emailServices/domains");
      expect(domain.name).toContain("'AzureManagedDomain'");
      expect(domain.properties).toMatchObject({ domainManagement: "AzureManaged" });
      const service = resourceOfType(acs, "Microsoft.Communication/communicationServices");
      expect(service.properties?.["disableLocalAuth"]).toBe(true);
      expect(JSON.stringify(service.properties?.["linkedDomains"])).toContain("Microsoft.Communication/emailServices/domains");
    });

    it("no registry modules: every module is compiled in (CI cannot restore br/public)", () => {
      const modules = allResources(main).filter(({ resource }) => resource.type === "Microsoft.Resources/deployments");
      expect(modules.length).toBeGreaterThan(0);
      for (const { resource } of modules) expect(resource.properties?.template, resource.name).toBeDefined();
      expect(text).not.toContain("br/public:");
    });
  });
});
