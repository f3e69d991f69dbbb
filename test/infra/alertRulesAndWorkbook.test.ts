import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { TELEMETRY_EVENTS } from "../../shared/domain/telemetry";
import { DeploymentScope, functionAppSite, loadCompiledTemplate, parseExpression, standInPlatform, type ArmResource } from "../support/arm";
import { registeredFunctionNames, telemetryQueryProblems, telemetryReferences } from "../support/telemetryQueries";

/**
 * The operators' view in Azure Monitor: the workbook (infra/workbook/, deployed by
 * infra/modules/workbook.bicep) and the alert rules (infra/modules/alertRules.bicep), read from the
 * template the real Bicep compiler built (`bash scripts/check-infra.sh`). Every field a query reads
 * must be one the app emits (shared/domain/telemetry.ts).
 */

const root = path.resolve(__dirname, "../..");
const WORKBOOK_FILE = path.join(root, "infra/workbook/restorewatch.workbook.json");

interface WorkbookItem {
  type: number;
  name: string;
  content: { query?: string; timeContextFromParameter?: string; parameters?: { name: string; type: number }[] };
}

/** Window sizes a log alert accepts when it is not evaluated every minute, in minutes. */
const WINDOW_MINUTES: Readonly<Record<string, number>> = {
  PT5M: 5, PT10M: 10, PT15M: 15, PT30M: 30, PT45M: 45, PT1H: 60, PT2H: 120, PT3H: 180, PT4H: 240, PT5H: 300, PT6H: 360, P1D: 1440, P2D: 2880,
};
const FREQUENCY_MINUTES: Readonly<Record<string, number>> = { PT1M: 1, ...WINDOW_MINUTES };
delete (FREQUENCY_MINUTES as Record<string, number>)["P2D"];

interface Criterion {
  query: string;
  timeAggregation: string;
  metricMeasureColumn?: string;
  operator: string;
  threshold: number;
  dimensions?: unknown[];
}

interface RuleProperties {
  criteria: { allOf: Criterion[] };
  windowSize: string;
  evaluationFrequency: string;
  description: string;
  [key: string]: unknown;
}

const { template } = loadCompiledTemplate();

/** The main template deployed with these parameters, and its alert-rules module. */
function deploy(parameters: Record<string, string> = {}): { main: DeploymentScope; rules: DeploymentScope } {
  const main = DeploymentScope.root(template, { parameters, platform: standInPlatform() });
  return { main, rules: main.module("alert-rules") };
}

/** The rule whose name ends with this suffix, with its properties evaluated (but actions: see "all notify the one action group"). */
function rule(scope: DeploymentScope, suffix: string): { resource: ArmResource; properties: RuleProperties; identity: unknown } {
  const resource = scope.template.resources.filter((r) => r.type === "Microsoft.Insights/scheduledQueryRules" && scope.evaluateString(r.name, "a rule name").endsWith(`-${suffix}`));
  expect(resource, `one rule *-${suffix}`).toHaveLength(1);
  const found = resource[0] as ArmResource;
  const { actions: _actions, ...rest } = found.properties ?? {};
  return { resource: found, properties: scope.evaluate(rest) as unknown as RuleProperties, identity: scope.evaluate(found["identity"]) };
}

describe("the telemetry query check (test support)", () => {
  const ok = 'customEvents | where name == "RestorewatchDelivery" and tostring(customDimensions["outcome"]) == "deadLettered" | project customDimensions.channel';

  it("reads names and fields in both notations", () => {
    expect(telemetryReferences(ok)).toEqual({ table: "customEvents", names: ["RestorewatchDelivery"], dimensions: ["outcome", "channel"], wholeBagUses: 0 });
    expect(telemetryReferences("customEvents | where name in ('RestorewatchRun', \"RestorewatchAlert\")").names).toEqual(["RestorewatchRun", "RestorewatchAlert"]);
    expect(telemetryQueryProblems(ok)).toEqual([]);
  });

  it("reports a field no record emits, a field of another record, an unknown record and an unnamed one", () => {
    expect(telemetryQueryProblems('customEvents | where name == "RestorewatchRun" | extend x = toint(customDimensions.madeUpField)')).toEqual([
      "reads customDimensions.madeUpField, which RestorewatchRun does not emit",
    ]);
    expect(telemetryQueryProblems("customEvents | where name == 'RestorewatchAlert' | summarize count() by tostring(customDimensions['channel'])")).toEqual([
      "reads customDimensions.channel, which RestorewatchAlert does not emit",
    ]);
    expect(telemetryQueryProblems('customEvents | where name == "RestorewatchRuns" | project customDimensions.runId')).toEqual([
      "names event 'RestorewatchRuns', which the app does not emit",
      "reads customDimensions.runId, which RestorewatchRuns does not emit",
    ]);
    expect(telemetryQueryProblems("customEvents | project customDimensions.runId")).toHaveLength(2);
  });

  it("reports a compared literal the app never emits (a mistyped outcome or boolean)", () => {
    expect(telemetryQueryProblems('customEvents | where name == "RestorewatchDelivery" and tostring(customDimensions.outcome) == "deadlettered"')).toEqual([
      'compares customDimensions.outcome with "deadlettered", which the app never emits (succeeded, failed, delivered, retrying, deadLettered, silenced, held)',
    ]);
    expect(telemetryQueryProblems("customEvents | where name == 'RestorewatchRun' and customDimensions['dryRun'] != 'True'")).toHaveLength(1);
    expect(telemetryQueryProblems('customEvents | where name == "RestorewatchRun" and tostring(customDimensions.outcome) == "succeeded"')).toEqual([]);
  });

  it("reports what it cannot check: the whole bag, another table, an unknown function", () => {
    expect(telemetryQueryProblems('customEvents | where name == "RestorewatchRun" | extend d = customDimensions | project d.made_up')).toHaveLength(1);
    expect(telemetryQueryProblems('traces | where message has "x"')).toEqual(["reads table 'traces', not one of customEvents, requests"]);
    expect(telemetryQueryProblems('requests | where operation_Name =~ "pollRestoreSession"')).toEqual(["names function 'pollRestoreSession', which the app does not register"]);
    expect(registeredFunctionNames()).toContain("pollRestoreSessions");
  });
});

describe("the workbook", () => {
  const file = JSON.parse(readFileSync(WORKBOOK_FILE, "utf8")) as { version: string; items: WorkbookItem[] };
  const queries = file.items.filter((item) => item.type === 3);

  it("is deployed by main.bicep from infra/workbook/ as it is: a shared workbook of the Application Insights component", () => {
    const { main } = deploy();
    const module = main.module("workbook");
    const [workbook] = module.template.resources.filter((r) => r.type === "Microsoft.Insights/workbooks");
    expect(workbook).toBeDefined();
    const resource = workbook as ArmResource;
    expect(resource.apiVersion).toBe("2023-06-01");
    expect(resource["kind"]).toBe("shared");
    expect(module.evaluateString(resource.name, "the workbook name")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const properties = module.evaluate(resource.properties) as Record<string, string>;
    const componentId = main.evaluateString("[resourceId('Microsoft.Insights/components', variables('appInsightsName'))]", "the component id");
    expect(properties["sourceId"]).toBe(componentId.toLowerCase());
    expect(properties).toMatchObject({ category: "workbook", version: "Notebook/1.0" });
    const deployed = JSON.parse(properties["serializedData"] as string) as typeof file & { fallbackResourceIds: string[] };
    expect(deployed.version).toBe("Notebook/1.0");
    expect(deployed.items).toEqual(file.items);
    expect(deployed.fallbackResourceIds).toEqual([componentId]);
  });

  it("has the panels operators asked for", () => {
    expect(queries.map((q) => q.name).sort()).toEqual(
      ["alerts-by-workload-status", "dead-letters", "deliveries-by-channel-outcome", "failed-runs", "graph-throttling", "last-successful-run", "run-duration", "runs-by-outcome"].sort(),
    );
  });

  it("reads only records and fields the app emits", () => {
    expect(queries.length).toBeGreaterThan(0);
    for (const item of queries) expect(telemetryQueryProblems(item.content.query ?? ""), item.name).toEqual([]);
    // Between them the panels read every record the app emits.
    const named = new Set(queries.flatMap((item) => telemetryReferences(item.content.query ?? "").names));
    expect([...named].sort()).toEqual(Object.values(TELEMETRY_EVENTS).map((e) => e.name).sort());
  });

  it("reads the panel-specific fields: outcome and duration of runs, throttling, dead letters' alert, session, channel and error", () => {
    const fields = (name: string): string[] => telemetryReferences(queries.find((q) => q.name === name)?.content.query ?? "").dimensions;
    expect(fields("runs-by-outcome")).toContain("outcome");
    expect(fields("run-duration")).toContain("durationMs");
    expect(fields("graph-throttling")).toEqual(expect.arrayContaining(["graphRequests", "graphThrottled"]));
    expect(fields("dead-letters")).toEqual(expect.arrayContaining(["outcome", "alertId", "sessionId", "channel", "error"]));
    expect(fields("alerts-by-workload-status")).toEqual(expect.arrayContaining(["workload", "status"]));
    expect(fields("deliveries-by-channel-outcome")).toEqual(expect.arrayContaining(["channel", "outcome"]));
  });

  it("has a time range every panel but the last successful run follows", () => {
    const parameters = file.items.find((item) => item.type === 9)?.content.parameters ?? [];
    expect(parameters).toContainEqual(expect.objectContaining({ name: "TimeRange", type: 4 }));
    for (const item of queries.filter((q) => q.name !== "last-successful-run")) expect(item.content.timeContextFromParameter, item.name).toBe("TimeRange");
  });
});

describe("the alert rules", () => {
  const { main, rules } = deploy();
  const componentId = main.evaluateString("[resourceId('Microsoft.Insights/components', variables('appInsightsName'))]", "the component id");
  const alertsIdentityId = main.evaluateString("[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', format('id-{0}-{1}-alerts', parameters('appName'), variables('suffix')))]", "the id");
  const ruleResources = rules.template.resources.filter((r) => r.type === "Microsoft.Insights/scheduledQueryRules");

  it("are three log alerts on the Application Insights component, each running as the alerts' own identity", () => {
    expect(ruleResources.map((r) => rules.evaluateString(r.name, "a rule name").replace(/^alert-restorewatch-[a-z0-9]+-/, "")).sort()).toEqual(["dead-letters", "failed-runs", "no-successful-poll"]);
    for (const suffix of ["dead-letters", "failed-runs", "no-successful-poll"]) {
      const { resource, properties, identity } = rule(rules, suffix);
      expect(resource.apiVersion).toBe("2023-12-01");
      expect(resource["kind"]).toBe("LogAlert");
      expect(properties).toMatchObject({ enabled: true, autoMitigate: true, scopes: [componentId] });
      expect(identity).toEqual({ type: "UserAssigned", userAssignedIdentities: { [alertsIdentityId]: {} } });
    }
  });

  it("read only records and fields the app emits", () => {
    for (const resource of ruleResources) {
      const criteria = rules.evaluate(resource.properties?.["criteria"]) as unknown as RuleProperties["criteria"];
      expect(criteria.allOf).toHaveLength(1);
      for (const { query } of criteria.allOf) expect(telemetryQueryProblems(query), resource.name).toEqual([]);
    }
  });

  it("all notify the one action group, which emails the recipients (opsAlertEmails, else alertEmailTo)", () => {
    // The recipients are computed with lambdas the evaluator does not run: read the expressions.
    const actionGroups = parseExpression(String(rules.template.variables?.["actionGroups"]));
    expect(actionGroups.kind === "call" && actionGroups.name === "if").toBe(true);
    if (actionGroups.kind !== "call") return;
    expect(actionGroups.args.map((a) => a.text).slice(0, 2)).toEqual(["empty(parameters('emails'))", "createArray()"]);
    const groups = rules.evaluateExpression(`[${actionGroups.args[2]?.text}]`);
    const [group] = rules.template.resources.filter((r) => r.type === "Microsoft.Insights/actionGroups");
    expect(groups).toEqual([`/subscriptions/${standInPlatform().subscriptionId}/resourceGroups/${standInPlatform().resourceGroup.name}/providers/Microsoft.Insights/actionGroups/${rules.evaluateString(group?.name, "the group name")}`]);
    expect(group?.["condition"]).toBe("[not(empty(parameters('emails')))]");
    expect(JSON.stringify(group?.properties)).toContain('"useCommonAlertSchema":true');
    for (const resource of ruleResources) expect(resource.properties?.["actions"]).toEqual({ actionGroups: "[variables('actionGroups')]" });
    const passed = JSON.stringify(rules.parent?.deployment.properties?.parameters?.["emails"]);
    expect(passed).toContain("parameters('opsAlertEmails')");
    expect(passed).toContain("parameters('alertEmailTo')");
  });

  it("no-successful-poll: an absence query (summarize without by: one row even with no data) below 1 fires", () => {
    const { properties } = rule(rules, "no-successful-poll");
    const criterion = properties.criteria.allOf[0] as Criterion;
    expect(criterion).toMatchObject({ timeAggregation: "Total", metricMeasureColumn: "SuccessfulRuns", operator: "LessThan", threshold: 1, failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 } });
    expect(criterion.dimensions ?? []).toEqual([]);
    const query = criterion.query;
    const summarizes = [...query.matchAll(/\|\s*summarize\b([^|]*)/g)];
    expect(summarizes).toHaveLength(1);
    expect(summarizes[0]?.[1]).not.toMatch(/\bby\b/);
    expect(summarizes[0]?.[1]).toMatch(/^\s*SuccessfulRuns\s*=\s*count\(\)\s*$/);
    expect(telemetryReferences(query)).toMatchObject({ table: "customEvents", names: [TELEMETRY_EVENTS.run.name] });
    expect(query).toContain('tostring(customDimensions.outcome) == "succeeded"');
    // Only the deployed app's runs count (cloud_RoleName = WEBSITE_SITE_NAME = the site's name), not a `restorewatch poll` elsewhere.
    const site = functionAppSite(template, { parameters: {}, platform: standInPlatform() });
    expect(query).toContain(`cloud_RoleName == "${String(site["name"])}"`);
    expect(properties["severity"]).toBe(1);
  });

  it("no-successful-poll: its window is about three poll periods (at least 30 minutes, at most two days), derived from pollSchedule", () => {
    const cases: [string, string, string][] = [
      ["0 */5 * * * *", "PT30M", "PT5M"], // the default: 15 minutes, raised to 30 for ingestion delay
      ["0 * * * * *", "PT30M", "PT5M"],
      ["*/30 * * * * *", "PT30M", "PT5M"],
      ["0 */15 * * * *", "PT45M", "PT5M"],
      ["0 5/20 * * * *", "PT1H", "PT5M"],
      ["0 0 * * * *", "PT3H", "PT15M"],
      ["0 0 */2 * * *", "PT6H", "PT15M"],
      ["0 30 */4 * * *", "P1D", "PT1H"],
      ["0 0 6 * * *", "P2D", "PT1H"], // daily: three days would exceed the 2-day limit
      ["0 0 6 * * 1-5", "P2D", "PT1H"], // not every day: the longest window
      ["0 0,30 * * * *", "PT3H", "PT15M"], // a list: read as hourly, late rather than early
    ];
    for (const [pollSchedule, window, frequency] of cases) {
      const { properties } = rule(deploy({ pollSchedule }).rules, "no-successful-poll");
      expect([pollSchedule, properties.windowSize, properties.evaluationFrequency]).toEqual([pollSchedule, window, frequency]);
      expect(WINDOW_MINUTES[window]).toBeLessThanOrEqual(2880);
      expect(FREQUENCY_MINUTES[frequency]).toBeLessThanOrEqual(WINDOW_MINUTES[window] ?? 0);
      expect(properties.description).toContain(pollSchedule);
    }
  });

  it("dead-letters: any dead-lettered delivery in the last 30 minutes, one alert per channel", () => {
    const { properties } = rule(rules, "dead-letters");
    const criterion = properties.criteria.allOf[0] as Criterion;
    expect(criterion).toMatchObject({ timeAggregation: "Total", metricMeasureColumn: "DeadLettered", operator: "GreaterThan", threshold: 0 });
    expect(criterion.dimensions).toEqual([{ name: "channel", operator: "Include", values: ["*"] }]);
    expect(telemetryReferences(criterion.query)).toMatchObject({ table: "customEvents", names: [TELEMETRY_EVENTS.delivery.name], dimensions: ["outcome", "channel"] });
    expect(criterion.query).toContain('tostring(customDimensions.outcome) == "deadLettered"');
    expect(criterion.query).toMatch(/\bby channel = tostring\(customDimensions\.channel\)/);
    expect(properties).toMatchObject({ windowSize: "PT30M", evaluationFrequency: "PT15M", severity: 2 });
  });

  it("failed-runs: failed executions of the timer function in two consecutive 15-minute windows", () => {
    const { properties } = rule(rules, "failed-runs");
    expect(properties).toMatchObject({ severity: 1, evaluationFrequency: "PT15M", windowSize: "PT15M" });
    const criterion = properties.criteria.allOf[0] as Criterion;
    expect(criterion).toMatchObject({ timeAggregation: "Count", operator: "GreaterThan", threshold: 0, failingPeriods: { numberOfEvaluationPeriods: 2, minFailingPeriodsToAlert: 2 } });
    expect(criterion.query).toBe('requests | where operation_Name =~ "pollRestoreSessions" and success == false');
  });

  it("the alerts' identity has Reader on the component, and only there; the app's identity does not", () => {
    const readers = main
      .deployedResourcesOfType("Microsoft.Authorization/roleAssignments")
      .filter(({ resource, scope }) => scope.evaluateString(resource.properties?.["roleDefinitionId"], "a role").endsWith("/acdd72a7-3385-48ef-bd42-f606fba81ae7"))
      .map(({ resource, scope }) => ({ scope: scope.evaluateString(resource.scope, "a scope"), principal: scope.evaluate(resource.properties?.["principalId"]) }));
    const alertsPrincipal = main.evaluate("[reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', format('id-{0}-{1}-alerts', parameters('appName'), variables('suffix'))), '2024-11-30').principalId]");
    expect(readers).toEqual([{ scope: componentId, principal: alertsPrincipal }]);
    const appPrincipal = main.evaluate("[reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', format('id-{0}-{1}', parameters('appName'), variables('suffix'))), '2024-11-30').principalId]");
    expect(appPrincipal).not.toEqual(alertsPrincipal);
    // The rules are created once the assignment exists, so they never run without it.
    for (const resource of ruleResources) expect(JSON.stringify(resource["dependsOn"])).toContain("Microsoft.Authorization/roleAssignments");
  });
});
