import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DeploymentScope, functionAppSite, loadCompiledTemplate, standInPlatform, type ArmObject, type ArmTemplate, type ArmValue } from "../support/arm";

/**
 * The vnetEnabled switch of infra/main.bicep, on the compiled template through the ARM evaluator (so
 * every resource's and module's condition is honoured): off, exactly the resources and properties
 * the template had without it; on, a virtual network the app is integrated with, and private
 * endpoints with private DNS zones for storage (blob, queue, table) and the Key Vault.
 */

const { template } = loadCompiledTemplate();
const platform = standInPlatform({ acsHostName: "acs-standin.unitedstates.communication.azure.com" });
const WEBHOOK = "https://contoso.webhook.office.com/webhookb2/standin";
/** Every optional part on, so the Key Vault and ACS are deployed too. */
const EVERYTHING = { alertEmailTo: "ops@contoso.com", teamsWebhookUrl: WEBHOOK };

const NETWORK_TYPES = [
  "Microsoft.Network/virtualNetworks",
  "Microsoft.Network/privateEndpoints",
  "Microsoft.Network/privateEndpoints/privateDnsZoneGroups",
  "Microsoft.Network/privateDnsZones",
  "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
];

/** A deployed resource with every expression evaluated, plus its id (dependsOn and condition left out). */
interface Deployed extends ArmObject {
  readonly id: string;
  readonly type: string;
  readonly name: string;
}

function deployedOfType(parameters: Record<string, ArmValue>, type: string): Deployed[] {
  return DeploymentScope.root(template, { parameters, platform })
    .deployedResourcesOfType(type)
    .map(({ resource, scope }) => {
      const { dependsOn: _dependsOn, condition: _condition, ...declared } = resource;
      const evaluated = scope.evaluate(declared);
      if (typeof evaluated !== "object" || evaluated === null || Array.isArray(evaluated)) throw new Error(`${type} did not evaluate to an object`);
      return { ...evaluated, id: scope.resourceIdOf(resource) } as Deployed;
    });
}

function one(parameters: Record<string, ArmValue>, type: string): Deployed {
  const found = deployedOfType(parameters, type);
  expect(found, type).toHaveLength(1);
  return found[0] as Deployed;
}

function props(resource: Deployed): Record<string, unknown> {
  return resource["properties"] as Record<string, unknown>;
}

/** Every resource type declared anywhere in the template, deployed or not. */
function declaredTypes(at: ArmTemplate): string[] {
  return at.resources.flatMap((resource) => [resource.type, ...(resource.properties?.template ? declaredTypes(resource.properties.template) : [])]);
}

/**
 * The action group's condition reads the alert's email list, which the template computes with
 * lambdas the evaluator refuses; it depends on alertEmailTo/opsAlertEmails only, not on vnetEnabled.
 */
const NOT_EVALUATED = ["Microsoft.Insights/actionGroups"];

/** The resource types the template deploys with these parameters (conditions honoured). */
function deployedTypes(parameters: Record<string, ArmValue>): string[] {
  const root = DeploymentScope.root(template, { parameters, platform });
  const types = [...new Set(declaredTypes(template))].filter((type) => !NOT_EVALUATED.includes(type));
  return types.filter((type) => root.deployedResourcesOfType(type).length > 0).sort();
}

/** [first, last] addresses of an IPv4 CIDR block, as numbers. */
function range(cidr: string): [number, number] {
  const [address, bits] = cidr.split("/");
  const octets = (address ?? "").split(".").map(Number);
  expect(octets, cidr).toHaveLength(4);
  const length = Number(bits);
  const start = octets.reduce((value, octet) => value * 256 + octet, 0);
  const size = 2 ** (32 - length);
  expect(start % size, `${cidr} starts on its prefix boundary`).toBe(0);
  return [start, start + size - 1];
}

function prefixLength(cidr: string): number {
  return Number(cidr.split("/")[1]);
}

interface Subnet {
  name: string;
  properties: { addressPrefix: string; delegations?: { properties: { serviceName: string } }[] };
}

describe("vnetEnabled off (the default)", () => {
  it("is the default, and azd maps it from VNET_ENABLED (default false)", () => {
    expect(template.parameters?.["vnetEnabled"]).toMatchObject({ type: "bool", defaultValue: false });
    const file = JSON.parse(readFileSync(path.resolve(__dirname, "../../infra/main.parameters.json"), "utf8")) as { parameters: Record<string, { value: unknown }> };
    expect(file.parameters["vnetEnabled"]).toEqual({ value: "${VNET_ENABLED=false}" });
  });

  it.each([
    ["default parameters", {}],
    ["email and Teams", EVERYTHING],
  ])("with %s: no virtual network, private endpoint or private DNS zone", (_what, parameters) => {
    for (const type of NETWORK_TYPES) expect(deployedOfType(parameters, type), type).toEqual([]);
    expect(deployedTypes(parameters).filter((type) => type.startsWith("Microsoft.Network/"))).toEqual([]);
  });

  it("storage and Key Vault keep their public endpoints as before, and the app has no subnet", () => {
    expect(props(one(EVERYTHING, "Microsoft.Storage/storageAccounts"))).toMatchObject({ publicNetworkAccess: "Enabled", networkAcls: { defaultAction: "Allow", bypass: "AzureServices" } });
    expect(props(one(EVERYTHING, "Microsoft.KeyVault/vaults"))["publicNetworkAccess"]).toBe("Enabled");
    const site = functionAppSite(template, { parameters: EVERYTHING, platform });
    expect((site["properties"] as Record<string, unknown>)["virtualNetworkSubnetId"] ?? null).toBeNull();
    expect(DeploymentScope.root(template, { parameters: EVERYTHING, platform }).outputs()).toMatchObject({ VIRTUAL_NETWORK_ID: { value: "" } });
  });
});

describe("vnetEnabled on", () => {
  const ON = { ...EVERYTHING, vnetEnabled: true };

  it("only adds network resources: every other resource and role assignment is the one deployed with it off", () => {
    const off = deployedTypes(EVERYTHING);
    const on = deployedTypes(ON);
    expect(on.filter((type) => !off.includes(type) && type !== "Microsoft.Resources/deployments")).toEqual(NETWORK_TYPES.slice().sort());
    expect(off.filter((type) => !on.includes(type))).toEqual([]);
    const assignments = (parameters: Record<string, ArmValue>): string[] => deployedOfType(parameters, "Microsoft.Authorization/roleAssignments").map((a) => `${a.name} on ${String(a["scope"])}`);
    expect(assignments(ON)).toEqual(assignments(EVERYTHING));
  });

  it("changes only the public access of storage and Key Vault, and the site's subnet", () => {
    const changed = (type: string): string[] => {
      const [before, after] = [one(EVERYTHING, type), one(ON, type)];
      const keys = new Set([...Object.keys(props(before)), ...Object.keys(props(after))]);
      const differ = [...keys].filter((key) => JSON.stringify(props(before)[key]) !== JSON.stringify(props(after)[key])).sort();
      expect({ ...before, properties: null }, `${type}: only its properties differ`).toEqual({ ...after, properties: null });
      return differ;
    };
    expect(changed("Microsoft.Storage/storageAccounts")).toEqual(["networkAcls", "publicNetworkAccess"]);
    expect(changed("Microsoft.KeyVault/vaults")).toEqual(["publicNetworkAccess"]);
    expect(changed("Microsoft.Web/sites")).toEqual(["virtualNetworkSubnetId"]);
    for (const type of ["Microsoft.Web/sites/config", "Microsoft.Web/serverfarms", "Microsoft.Insights/components", "Microsoft.Communication/communicationServices"]) {
      expect(deployedOfType(ON, type), type).toEqual(deployedOfType(EVERYTHING, type));
    }
  });

  it("a virtual network with an app subnet delegated to Microsoft.App/environments (/27 or larger) and a private endpoint subnet, names without '_'", () => {
    const vnet = one(ON, "Microsoft.Network/virtualNetworks");
    const { addressSpace, subnets } = props(vnet) as { addressSpace: { addressPrefixes: string[] }; subnets: Subnet[] };
    expect(addressSpace.addressPrefixes).toEqual(["10.0.0.0/16"]);
    expect(subnets.map((s) => s.name)).toEqual(["app", "private-endpoints"]);
    for (const name of [vnet.name, ...subnets.map((s) => s.name)]) expect(name).not.toContain("_");
    const [app, endpoints] = subnets as [Subnet, Subnet];
    expect(app.properties.delegations?.map((d) => d.properties.serviceName)).toEqual(["Microsoft.App/environments"]);
    expect(endpoints.properties.delegations ?? []).toEqual([]);
    expect(prefixLength(app.properties.addressPrefix)).toBeLessThanOrEqual(27);
    // Both inside the address space, and apart.
    const [spaceStart, spaceEnd] = range(addressSpace.addressPrefixes[0] ?? "");
    const [appRange, endpointRange] = [range(app.properties.addressPrefix), range(endpoints.properties.addressPrefix)];
    for (const [start, end] of [appRange, endpointRange]) expect(start >= spaceStart && end <= spaceEnd).toBe(true);
    expect(appRange[1] < endpointRange[0] || endpointRange[1] < appRange[0]).toBe(true);
  });

  it("the address space and subnets follow their parameters", () => {
    const parameters = { ...ON, vnetAddressPrefix: "172.16.0.0/20", appSubnetAddressPrefix: "172.16.4.0/26", privateEndpointSubnetAddressPrefix: "172.16.5.0/27" };
    const { addressSpace, subnets } = props(one(parameters, "Microsoft.Network/virtualNetworks")) as { addressSpace: { addressPrefixes: string[] }; subnets: Subnet[] };
    expect(addressSpace.addressPrefixes).toEqual(["172.16.0.0/20"]);
    expect(subnets.map((s) => s.properties.addressPrefix)).toEqual(["172.16.4.0/26", "172.16.5.0/27"]);
  });

  it("the function app is integrated with the app subnet", () => {
    const vnet = one(ON, "Microsoft.Network/virtualNetworks");
    const site = functionAppSite(template, { parameters: ON, platform });
    expect((site["properties"] as Record<string, unknown>)["virtualNetworkSubnetId"]).toBe(`${vnet.id}/subnets/app`);
    expect(DeploymentScope.root(template, { parameters: ON, platform }).outputs()).toMatchObject({ VIRTUAL_NETWORK_ID: { value: vnet.id } });
  });

  it("a private endpoint in the endpoint subnet for storage blob, queue and table and for the vault, each in its privatelink zone", () => {
    const vnet = one(ON, "Microsoft.Network/virtualNetworks");
    const storage = one(ON, "Microsoft.Storage/storageAccounts");
    const vault = one(ON, "Microsoft.KeyVault/vaults");
    const zoneGroups = deployedOfType(ON, "Microsoft.Network/privateEndpoints/privateDnsZoneGroups");
    const zones = deployedOfType(ON, "Microsoft.Network/privateDnsZones");
    const endpoints = deployedOfType(ON, "Microsoft.Network/privateEndpoints").map((endpoint) => {
      const { subnet, privateLinkServiceConnections } = props(endpoint) as { subnet: { id: string }; privateLinkServiceConnections: { properties: { privateLinkServiceId: string; groupIds: string[] } }[] };
      expect(privateLinkServiceConnections, endpoint.name).toHaveLength(1);
      const [connection] = privateLinkServiceConnections;
      const groups = zoneGroups.filter((group) => group.name.startsWith(`${endpoint.name}/`));
      expect(groups, `${endpoint.name} has one zone group`).toHaveLength(1);
      const zoneIds = (props(groups[0] as Deployed) as { privateDnsZoneConfigs: { properties: { privateDnsZoneId: string } }[] }).privateDnsZoneConfigs.map((c) => c.properties.privateDnsZoneId);
      return {
        target: connection?.properties.privateLinkServiceId,
        groupIds: connection?.properties.groupIds,
        subnet: subnet.id,
        zones: zoneIds.map((id) => zones.find((zone) => zone.id === id)?.name ?? `unknown zone ${id}`),
      };
    });
    const inEndpointSubnet = `${vnet.id}/subnets/private-endpoints`;
    expect(endpoints).toEqual([
      { target: storage.id, groupIds: ["blob"], subnet: inEndpointSubnet, zones: ["privatelink.blob.core.windows.net"] },
      { target: storage.id, groupIds: ["queue"], subnet: inEndpointSubnet, zones: ["privatelink.queue.core.windows.net"] },
      { target: storage.id, groupIds: ["table"], subnet: inEndpointSubnet, zones: ["privatelink.table.core.windows.net"] },
      { target: vault.id, groupIds: ["vault"], subnet: inEndpointSubnet, zones: ["privatelink.vaultcore.azure.net"] },
    ]);
    // The pitfall: Key Vault's zone is not built from environment().suffixes.keyvaultDns.
    expect(zones.map((zone) => zone.name)).not.toContain("privatelink.vault.azure.net");
  });

  it("each private DNS zone is global and linked to the virtual network, without auto-registration", () => {
    const vnet = one(ON, "Microsoft.Network/virtualNetworks");
    const zones = deployedOfType(ON, "Microsoft.Network/privateDnsZones");
    const links = deployedOfType(ON, "Microsoft.Network/privateDnsZones/virtualNetworkLinks");
    expect(zones).toHaveLength(4);
    for (const zone of zones) {
      expect(zone["location"], zone.name).toBe("global");
      const linked = links.filter((link) => link.name.startsWith(`${zone.name}/`));
      expect(linked.map((link) => props(link)), zone.name).toEqual([{ virtualNetwork: { id: vnet.id }, registrationEnabled: false }]);
    }
  });

  it("storage refuses public network access with no exceptions; the vault refuses public network access", () => {
    expect(props(one(ON, "Microsoft.Storage/storageAccounts"))).toMatchObject({ publicNetworkAccess: "Disabled", networkAcls: { defaultAction: "Deny", bypass: "None" } });
    expect(props(one(ON, "Microsoft.KeyVault/vaults"))["publicNetworkAccess"]).toBe("Disabled");
  });

  it("without Teams there is no vault, so only the three storage endpoints and zones", () => {
    const parameters = { vnetEnabled: true };
    expect(deployedOfType(parameters, "Microsoft.KeyVault/vaults")).toEqual([]);
    expect(deployedOfType(parameters, "Microsoft.Network/privateEndpoints").map((e) => e.name)).toEqual(expect.arrayContaining([expect.stringMatching(/-blob$/), expect.stringMatching(/-queue$/), expect.stringMatching(/-table$/)]));
    expect(deployedOfType(parameters, "Microsoft.Network/privateDnsZones").map((z) => z.name)).toEqual(["privatelink.blob.core.windows.net", "privatelink.queue.core.windows.net", "privatelink.table.core.windows.net"]);
  });

  it("names are deterministic (the same for the same resource group and appName) and follow appName", () => {
    const names = (parameters: Record<string, ArmValue>): string[] => NETWORK_TYPES.flatMap((type) => deployedOfType(parameters, type).map((r) => r.name));
    expect(names(ON)).toEqual(names(ON));
    expect(names({ ...ON, appName: "rw-test" }).find((name) => name.startsWith("vnet-"))).toMatch(/^vnet-rw-test-[a-z2-7]{13}$/);
    for (const name of names(ON)) expect(name).not.toContain("_");
  });
});
