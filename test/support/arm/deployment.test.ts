import { describe, expect, it } from "vitest";
import { DeploymentScope, type EvaluationOptions } from "./deployment";
import { standInPlatform } from "./platform";
import type { ArmResource, ArmTemplate } from "./template";

/** Small hand-written templates in the shape Bicep compiles to. */

const platform = standInPlatform({ storageEndpoints: { blob: "http://127.0.0.1:10000/devstoreaccount1/", queue: "http://127.0.0.1:10001/devstoreaccount1/", table: "http://127.0.0.1:10002/devstoreaccount1/" } });

function root(template: Partial<ArmTemplate>, options: Partial<EvaluationOptions> = {}): DeploymentScope {
  return DeploymentScope.root({ resources: [], ...template }, { platform, ...options });
}

/** A Bicep module: a nested deployment with an inline template evaluated in inner scope. */
function module(name: string, template: Partial<ArmTemplate>, parameters: Record<string, unknown> = {}, extra: Partial<ArmResource> = {}): ArmResource {
  return {
    type: "Microsoft.Resources/deployments",
    apiVersion: "2025-04-01",
    name,
    ...extra,
    properties: {
      expressionEvaluationOptions: { scope: "inner" },
      mode: "Incremental",
      parameters: Object.fromEntries(Object.entries(parameters).map(([key, value]) => [key, { value }])),
      template: { resources: [], ...template },
    },
  };
}

const storageModule = module(
  "storage",
  {
    parameters: { name: { type: "string" }, container: { type: "string", defaultValue: "app-package" } },
    resources: [{ type: "Microsoft.Storage/storageAccounts", apiVersion: "2025-01-01", name: "[parameters('name')]" }],
    outputs: {
      blobEndpoint: { type: "string", value: "[reference(resourceId('Microsoft.Storage/storageAccounts', parameters('name')), '2025-01-01').primaryEndpoints.blob]" },
      containerUrl: { type: "string", value: "[format('{0}{1}', reference(resourceId('Microsoft.Storage/storageAccounts', parameters('name')), '2025-01-01').primaryEndpoints.blob, parameters('container'))]" },
      broken: { type: "string", value: "[reference(resourceId('Microsoft.Storage/storageAccounts', parameters('name')), '2025-01-01').primaryEndpoints.dfs]" },
    },
  },
  { name: "[format('st{0}', variables('suffix'))]" },
);

const optionalModule = module("optional", { outputs: { value: { type: "string", value: "from-optional" } } }, {}, { condition: "[parameters('enabled')]" });

const mainTemplate: Partial<ArmTemplate> = {
  parameters: {
    appName: { type: "string", defaultValue: "demo", minLength: 3, maxLength: 12 },
    location: { type: "string", defaultValue: "[resourceGroup().location]" },
    enabled: { type: "bool", defaultValue: false },
    size: { type: "int", defaultValue: 2048, allowedValues: [512, 2048] },
    retries: { type: "int", defaultValue: 4, minValue: 0, maxValue: 20 },
    tags: { type: "object", defaultValue: {} },
  },
  variables: { suffix: "[uniqueString(resourceGroup().id, parameters('appName'))]", nested: { a: "[parameters('appName')]", list: ["[parameters('size')]", "[[literal]"] } },
  resources: [storageModule, optionalModule],
  outputs: {
    blob: { type: "string", value: "[reference(resourceId('Microsoft.Resources/deployments', 'storage'), '2025-04-01').outputs.blobEndpoint.value]" },
    optional: { type: "string", value: "[if(parameters('enabled'), reference(resourceId('Microsoft.Resources/deployments', 'optional'), '2025-04-01').outputs.value.value, '')]" },
  },
};

describe("DeploymentScope", () => {
  describe("parameters", () => {
    it("take the values given, else their defaults (evaluated in the template)", () => {
      const scope = root(mainTemplate, { parameters: { appName: "given", size: 512 } });
      expect(scope.parameter("appName")).toBe("given");
      expect(scope.parameter("size")).toBe(512);
      expect(scope.parameter("retries")).toBe(4);
      expect(scope.parameter("location")).toBe(platform.resourceGroup.location);
      expect(scope.evaluateExpression("[parameters('APPNAME')]")).toBe("given");
    });

    it("given values are literals: '[...]' in a value is not evaluated", () => {
      expect(root(mainTemplate, { parameters: { appName: "[x()]" } }).parameter("appName")).toBe("[x()]");
    });

    it.each([
      [{ size: 1000 }, /parameter 'size' must be one of \[512,2048\], got 1000/],
      [{ retries: 21 }, /parameter 'retries' must be at most 20, got 21/],
      [{ retries: -1 }, /parameter 'retries' must be at least 0/],
      [{ retries: "4" }, /parameter 'retries' must be int, got string "4"/],
      [{ enabled: "true" }, /parameter 'enabled' must be bool/],
      [{ appName: "ab" }, /parameter 'appName' must have length at least 3/],
      [{ tags: [] }, /parameter 'tags' must be object, got array/],
    ])("refuses a value Azure would reject, before anything reads it: %j", (parameters, reason) => {
      expect(() => root(mainTemplate, { parameters })).toThrow(reason);
    });

    it("refuses parameters the template does not declare, and a missing one without default", () => {
      expect(() => root(mainTemplate, { parameters: { apName: "typo" } })).toThrow(/declares no parameter 'apName'/);
      expect(() => root({ parameters: { required: { type: "string" } } })).toThrow(/no value for parameter 'required', which has no default/);
    });
  });

  describe("variables", () => {
    it("evaluate expressions inside objects and arrays, and keep [[ literals", () => {
      expect(root(mainTemplate).variable("nested")).toEqual({ a: "demo", list: [2048, "[literal]"] });
      expect(root(mainTemplate).variable("suffix")).toMatch(/^[a-z2-7]{13}$/);
    });

    it("refuse a variable that depends on itself", () => {
      const scope = root({ variables: { a: "[variables('b')]", b: "[concat(variables('a'), 'x')]" } });
      expect(() => scope.variable("a")).toThrow(/variables\('a'\) depends on itself/);
    });

    it("evaluate expressions in property names", () => {
      expect(root({ parameters: { id: { type: "string", defaultValue: "/x/y" } }, variables: { v: { "[parameters('id')]": {} } } }).variable("v")).toEqual({ "/x/y": {} });
    });
  });

  describe("modules", () => {
    it("are passed parameters evaluated where they are declared, and read through reference(...).outputs", () => {
      const scope = root(mainTemplate);
      const storage = scope.module("storage");
      expect(storage.parameter("name")).toBe(`st${String(scope.variable("suffix"))}`);
      expect(storage.parameter("container")).toBe("app-package");
      expect(scope.evaluateExpression("[reference(resourceId('Microsoft.Resources/deployments', 'storage'), '2025-04-01').outputs.containerUrl.value]")).toBe(`${platform.storageEndpoints?.blob}app-package`);
    });

    it("evaluate an output only when it is read, so one that cannot be evaluated does not break the others", () => {
      const scope = root(mainTemplate);
      expect(scope.evaluateExpression("[reference(resourceId('Microsoft.Resources/deployments', 'storage')).outputs.blobEndpoint.value]")).toBe(platform.storageEndpoints?.blob);
      expect(() => scope.evaluateExpression("[reference(resourceId('Microsoft.Resources/deployments', 'storage')).outputs.broken.value]")).toThrow(/property 'dfs' does not exist/);
    });

    it("whose condition is false are not deployed: reading one throws, unless an if() branch that is not taken reads it", () => {
      const off = root(mainTemplate);
      expect(off.evaluateExpression("[reference(resourceId('Microsoft.Resources/deployments', 'storage')).outputs.blobEndpoint.value]")).toBeTruthy();
      expect(off.evaluate(mainTemplate.outputs?.["optional"]?.value)).toBe("");
      expect(() => off.evaluateExpression("[reference(resourceId('Microsoft.Resources/deployments', 'optional')).outputs.value.value]")).toThrow(
        /reference\(\) to module deployment 'optional', which is not deployed: its condition \[parameters\('enabled'\)\] is false/,
      );
      const on = root(mainTemplate, { parameters: { enabled: true } });
      expect(on.evaluate(mainTemplate.outputs?.["optional"]?.value)).toBe("from-optional");
    });

    it("list only deployed resources of a type, across modules, leaving out what sits in a module that is not deployed", () => {
      const site = (name: string): ArmResource => ({ type: "Microsoft.Web/sites", name });
      const template: Partial<ArmTemplate> = {
        parameters: { enabled: { type: "bool", defaultValue: false } },
        resources: [
          { ...site("top"), condition: "[not(parameters('enabled'))]" },
          module(
            "outer",
            {
              parameters: { enabled: { type: "bool" } },
              resources: [
                site("inner"),
                module("when-on", { resources: [site("deepest")] }, {}, { condition: "[parameters('enabled')]" }),
                module("when-off", { resources: [site("fallback")] }, {}, { condition: "[not(parameters('enabled'))]" }),
              ],
            },
            { enabled: "[parameters('enabled')]" },
          ),
        ],
      };
      const names = (scope: DeploymentScope): string[] => scope.deployedResourcesOfType("Microsoft.Web/sites").map(({ resource }) => resource.name);
      expect(names(root(template))).toEqual(["top", "inner", "fallback"]);
      expect(names(root(template, { parameters: { enabled: true } }))).toEqual(["inner", "deepest"]);
    });

    it("in another resource group: ids and resourceGroup() inside are that group's", () => {
      const elsewhere = module("elsewhere", { outputs: { id: { type: "string", value: "[resourceId('Microsoft.Web/sites', 'x')]" }, group: { type: "string", value: "[resourceGroup().name]" }, location: { type: "string", value: "[resourceGroup().location]" } } }, {}, {
        subscriptionId: "other-sub",
        resourceGroup: "other-rg",
      });
      const scope = root({ resources: [elsewhere] });
      const outputs = "[reference(extensionResourceId('/subscriptions/other-sub/resourceGroups/other-rg', 'Microsoft.Resources/deployments', 'elsewhere')).outputs";
      expect(scope.evaluateExpression(`${outputs}.id.value]`)).toBe("/subscriptions/other-sub/resourceGroups/other-rg/providers/Microsoft.Web/sites/x");
      expect(scope.evaluateExpression(`${outputs}.group.value]`)).toBe("other-rg");
      // The stand-in knows only its own resource group's location.
      expect(() => scope.evaluateExpression(`${outputs}.location.value]`)).toThrow(/property 'location' does not exist/);
      // Looked up by its full id, so the same name in this resource group is not it.
      expect(() => scope.evaluateExpression("[reference(resourceId('Microsoft.Resources/deployments', 'elsewhere')).outputs]")).toThrow(/does not declare/);
    });

    it.each([
      ["an outer-scope nested template", { expressionEvaluationOptions: { scope: "outer" } }, /only expressionEvaluationOptions.scope 'inner'/],
      ["a linked template", { template: undefined, templateLink: { uri: "https://x" } }, /only inline templates/],
    ])("refuse %s", (_what, properties, reason) => {
      const deployment = module("m", {});
      const template = { resources: [{ ...deployment, properties: { ...deployment.properties, ...properties } }] } as Partial<ArmTemplate>;
      expect(() => root(template).module("m")).toThrow(reason);
    });

    it("are passed a conditional value as Bicep writes it, one expression for the whole entry, evaluating only the branch taken", () => {
      // What Bicep emits for `subnetId: enabled ? optional!.outputs.value : ''`.
      const conditional = "[if(parameters('enabled'), createObject('value', reference(resourceId('Microsoft.Resources/deployments', 'optional'), '2025-04-01').outputs.value.value), createObject('value', ''))]";
      const consumer = module("consumer", { parameters: { subnetId: { type: "string" } }, outputs: { subnetId: { type: "string", value: "[parameters('subnetId')]" } } });
      (consumer.properties as { parameters: Record<string, unknown> }).parameters = { subnetId: conditional };
      const template = { ...mainTemplate, resources: [...mainTemplate.resources ?? [], consumer] };
      // Off: the module that is not deployed is never read.
      expect(root(template).module("consumer").parameter("subnetId")).toBe("");
      expect(root(template, { parameters: { enabled: true } }).module("consumer").parameter("subnetId")).toBe("from-optional");
      // An expression that does not come out as { value } is refused.
      (consumer.properties as { parameters: Record<string, unknown> }).parameters = { subnetId: "[parameters('appName')]" };
      expect(() => root(template).module("consumer").parameter("subnetId")).toThrow(/parameter 'subnetId' is string "demo", not \{ value \}/);
      (consumer.properties as { parameters: Record<string, unknown> }).parameters = { subnetId: "[createObject('other', 1)]" };
      expect(() => root(template).module("consumer").parameter("subnetId")).toThrow(/parameter 'subnetId' has no value/);
    });

    it("refuse Key Vault parameter references and deployments above resource group scope", () => {
      const withReference = module("m", { parameters: { secret: { type: "securestring" } } });
      (withReference.properties as { parameters: Record<string, unknown> }).parameters = { secret: { reference: { keyVault: { id: "/x" }, secretName: "s" } } };
      expect(() => root({ resources: [withReference] }).module("m").parameter("secret")).toThrow(/Key Vault parameter references are not supported/);
      expect(() => root({ resources: [module("m", {}, {}, { location: "westeurope" })] }).module("m")).toThrow(/subscription or tenant scope are not supported/);
    });
  });

  describe("reference() of resources", () => {
    it("returns the platform stand-in's runtime properties", () => {
      const scope = root({});
      expect(scope.evaluateExpression("[reference(resourceId('Microsoft.KeyVault/vaults/secrets', 'kv-x', 'teams'), '2024-11-01').secretUri]")).toBe("https://kv-x.vault.azure.net/secrets/teams");
      expect(scope.evaluateExpression("[reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'id'), '2024-11-30').clientId]")).toMatch(/^[0-9a-f-]{36}$/);
    });

    it("refuses a resource the template declares but does not deploy, a type the stand-in does not know, and forms it does not stand in for", () => {
      const scope = root({ parameters: { on: { type: "bool", defaultValue: false } }, resources: [{ type: "Microsoft.KeyVault/vaults", name: "kv", condition: "[parameters('on')]" }] });
      expect(() => scope.evaluateExpression("[reference(resourceId('Microsoft.KeyVault/vaults', 'kv')).vaultUri]")).toThrow(/which is not deployed/);
      expect(() => scope.evaluateExpression("[reference(resourceId('Microsoft.Sql/servers', 'sql')).fullyQualifiedDomainName]")).toThrow(/does not know this resource type/);
      expect(() => scope.evaluateExpression("[reference('kv').vaultUri]")).toThrow(/reference\(\) by anything but a full resource id/);
      expect(() => scope.evaluateExpression("[reference(resourceId('Microsoft.KeyVault/vaults', 'other'), '2024-11-01', 'Full').properties]")).toThrow(/'Full'\) is not supported/);
      expect(() => root({}).evaluateExpression("[reference(resourceId('Microsoft.Communication/communicationServices', 'acs')).hostName]")).toThrow(/the platform stand-in has no acsHostName/);
    });
  });

  it("refuses copy loops and languageVersion 2.0 templates", () => {
    expect(() => root({ variables: { v: { copy: [{ name: "items", count: 2, input: "[copyIndex('items')]" }] } } }).variable("v")).toThrow(/property copy loops are not supported/);
    expect(() => root({ resources: [{ type: "Microsoft.Web/sites", name: "[format('s{0}', copyIndex())]", copy: { name: "sites", count: 2 } }] }).deployedResourcesOfType("Microsoft.Web/sites")).toThrow(/resource copy loops/);
    expect(() => root({ languageVersion: "2.0" })).toThrow(/languageVersion 2.0 templates/);
  });
});
