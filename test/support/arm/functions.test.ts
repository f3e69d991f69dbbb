import { describe, expect, it } from "vitest";
import { DeploymentScope } from "./deployment";
import { standInPlatform } from "./platform";
import type { ArmTemplate } from "./template";
import type { ArmValue } from "./values";

/** Evaluates one expression in an empty template deployed to the stand-in's resource group. */
function evaluate(expression: string, template: Partial<ArmTemplate> = {}): ArmValue {
  return DeploymentScope.root({ resources: [], ...template }, { platform: standInPlatform() }).evaluateExpression(expression);
}

const SUBSCRIPTION = standInPlatform().subscriptionId;
const GROUP = standInPlatform().resourceGroup.name;

describe("ARM functions", () => {
  it("format(): {n} items and {{ }} escapes; refuses format strings it would have to guess", () => {
    expect(evaluate("[format('{0}-{1}-{0} {{x}}', 'a', 7)]")).toBe("a-7-a {x}");
    expect(() => evaluate("[format('{0:N0}', 5)]")).toThrow(/unsupported format item/);
    expect(() => evaluate("[format('{1}', 'a')]")).toThrow(/no argument \{1\}/);
    expect(() => evaluate("[format('{0}', true())]")).toThrow(/unsupported argument bool/);
  });

  it("string(): ints as digits, objects and arrays as compact JSON; a bool is refused", () => {
    expect(evaluate("[string(400)]")).toBe("400");
    expect(evaluate("[string(createObject('a', createArray(1, 'b')))]")).toBe('{"a":[1,"b"]}');
    expect(() => evaluate("[string(true())]")).toThrow(/string\(\): unsupported argument bool/);
  });

  it("union(): objects merged (nested objects too, last value wins), arrays without duplicates", () => {
    expect(evaluate("[union(createObject('a', '1', 'n', createObject('x', 1, 'y', 1)), createObject('b', '2', 'n', createObject('y', 2)), createObject('a', '3'))]")).toEqual({
      a: "3",
      n: { x: 1, y: 2 },
      b: "2",
    });
    expect(evaluate("[union(createArray(1, 2), createArray(2, 3))]")).toEqual([1, 2, 3]);
    expect(() => evaluate("[union(createObject('a', '1'), createObject('A', '2'))]")).toThrow(/differ only in case/);
    expect(() => evaluate("[union(createObject(), createArray())]")).toThrow(/all arrays or all objects/);
  });

  it("comparisons, min, max and mul: ints (comparisons also strings); anything else is refused", () => {
    expect(evaluate("[lessOrEquals(30, 30)]")).toBe(true);
    expect(evaluate("[less(30, 30)]")).toBe(false);
    expect(evaluate("[greater('b', 'a')]")).toBe(true);
    expect(evaluate("[greaterOrEquals(1, 2)]")).toBe(false);
    expect(evaluate("[max(mul(3, 5), 30)]")).toBe(30);
    expect(evaluate("[min(createArray(4, 2, 9))]")).toBe(2);
    expect(() => evaluate("[lessOrEquals(1, '1')]")).toThrow(/two ints or two strings/);
    expect(() => evaluate("[mul(2, '3')]")).toThrow(/mul\(\) expects an int/);
  });

  it("if() evaluates only the branch it takes", () => {
    expect(evaluate("[if(true(), 'yes', parameters('missing'))]")).toBe("yes");
    expect(evaluate("[if(false(), parameters('missing'), 'no')]")).toBe("no");
    expect(() => evaluate("[if(true(), parameters('missing'), 'no')]")).toThrow(/no parameter 'missing'/);
    expect(() => evaluate("[if('true', 'a', 'b')]")).toThrow(/condition is string, not bool/);
  });

  it("logic and comparison", () => {
    expect(evaluate("[and(true(), not(false()), or(false(), true()))]")).toBe(true);
    expect(evaluate("[and(true(), false())]")).toBe(false);
    expect(evaluate("[equals('A', 'a')]")).toBe(false);
    expect(evaluate("[equals(createObject('a', createArray(1)), createObject('a', createArray(1)))]")).toBe(true);
    expect(() => evaluate("[not('false')]")).toThrow(/expects a bool/);
  });

  it("empty(), coalesce() and tryGet() (Bicep's .? )", () => {
    expect([evaluate("[empty('')]"), evaluate("[empty(createObject())]"), evaluate("[empty(createArray())]"), evaluate("[empty(null())]"), evaluate("[empty(' ')]")]).toEqual([true, true, true, true, false]);
    expect(evaluate("[coalesce(null(), '', 'x')]")).toBe("");
    expect(evaluate("[coalesce(null(), null())]")).toBeNull();
    expect(evaluate("[tryGet(createObject('Name', 'v'), 'name')]")).toBe("v");
    expect(evaluate("[tryGet(createObject(), 'name')]")).toBeNull();
    expect(evaluate("[tryGet(createArray('a'), 3)]")).toBeNull();
    expect(evaluate("[coalesce(tryGet(createObject('a', createObject('b', 'deep')), 'a', 'b'), '')]")).toBe("deep");
  });

  it("strings and arrays", () => {
    expect(evaluate("[toLower(replace('My-App-Name', '-', ''))]")).toBe("myappname");
    expect(evaluate("[take('abcdef', 3)]")).toBe("abc");
    expect(evaluate("[take('ab', 24)]")).toBe("ab");
    expect(evaluate("[take(createArray(1, 2, 3), 0)]")).toEqual([]);
    expect(evaluate("[skip('abcdef', 4)]")).toBe("ef");
    expect(evaluate("[split('a,,b', ',')]")).toEqual(["a", "", "b"]);
    expect(evaluate("[split('a;b,c', createArray(',', ';'))]")).toEqual(["a", "b", "c"]);
    expect(evaluate("[last(split('/subscriptions/s/resourceGroups/g', '/'))]")).toBe("g");
    expect(evaluate("[split('/subscriptions/s/resourceGroups/g', '/')[2]]")).toBe("s");
    expect(evaluate("[first(createArray('x', 'y'))]")).toBe("x");
    expect(() => evaluate("[last(createArray())]")).toThrow(/last\(\) of an empty array/);
    expect(evaluate("[trim('  a b  ')]")).toBe("a b");
    expect(evaluate("[toUpper('ab')]")).toBe("AB");
    expect(evaluate("[concat('a', 'b', 'c')]")).toBe("abc");
    expect(evaluate("[concat(createArray(1), createArray(2))]")).toEqual([1, 2]);
    expect(evaluate("[length('abc')]")).toBe(3);
    expect(evaluate("[length(createObject('a', 1, 'b', 2))]")).toBe(2);
  });

  it("contains(): case-sensitive in strings, case-insensitive for object keys (as ARM documents)", () => {
    expect(evaluate("[contains('OneTwo', 'Two')]")).toBe(true);
    expect(evaluate("[contains('OneTwo', 'two')]")).toBe(false);
    expect(evaluate("[contains(createObject('Key', 1), 'key')]")).toBe(true);
    expect(evaluate("[contains(createArray('a', 2), 2)]")).toBe(true);
  });

  it("conversions", () => {
    expect(evaluate("[int('42')]")).toBe(42);
    expect(evaluate("[bool('True')]")).toBe(true);
    expect(evaluate("[bool(0)]")).toBe(false);
    expect(evaluate("[json('{\"a\":[1,null]}')]")).toEqual({ a: [1, null] });
    expect(() => evaluate("[int('4.5')]")).toThrow(/int\(\) cannot convert/);
  });

  it("createObject(): refuses a key given twice and an odd argument count", () => {
    expect(() => evaluate("[createObject('a', 1, 'a', 2)]")).toThrow(/key 'a' given twice/);
    expect(() => evaluate("[createObject('a')]")).toThrow(/key\/value pairs/);
  });

  it("uniqueString() and guid() stand-ins: stable, shaped like ARM's, different for different input", () => {
    const a = evaluate("[uniqueString('rg', 'app')]");
    expect(a).toMatch(/^[a-z2-7]{13}$/);
    expect(evaluate("[uniqueString('rg', 'app')]")).toBe(a);
    expect(evaluate("[uniqueString('rg', 'app2')]")).not.toBe(a);
    const g = evaluate("[guid('x', 'y')]");
    expect(g).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(evaluate("[guid('x', 'y')]")).toBe(g);
    expect(evaluate("[guid('xy')]")).not.toBe(g);
  });

  it("resource ids in the deployment's subscription and resource group, or the ones given", () => {
    expect(evaluate("[resourceId('Microsoft.KeyVault/vaults/secrets', 'kv', 's')]")).toBe(`/subscriptions/${SUBSCRIPTION}/resourceGroups/${GROUP}/providers/Microsoft.KeyVault/vaults/kv/secrets/s`);
    expect(evaluate("[resourceId('other-rg', 'Microsoft.Web/sites', 'app')]")).toBe(`/subscriptions/${SUBSCRIPTION}/resourceGroups/other-rg/providers/Microsoft.Web/sites/app`);
    expect(evaluate("[resourceId('sub2', 'rg2', 'Microsoft.Web/sites', 'app')]")).toBe("/subscriptions/sub2/resourceGroups/rg2/providers/Microsoft.Web/sites/app");
    expect(evaluate("[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'r1')]")).toBe(`/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/r1`);
    expect(evaluate("[extensionResourceId('/subscriptions/s/resourceGroups/g', 'Microsoft.Resources/deployments', 'd')]")).toBe("/subscriptions/s/resourceGroups/g/providers/Microsoft.Resources/deployments/d");
    expect(() => evaluate("[resourceId('Microsoft.KeyVault/vaults/secrets', 'kv')]")).toThrow(/needs 2 name\(s\), got 1/);
  });

  it("the deployment context: resourceGroup(), subscription(), tenant(), environment()", () => {
    const platform = standInPlatform();
    expect(evaluate("[resourceGroup()]")).toEqual({ id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${GROUP}`, name: GROUP, type: "Microsoft.Resources/resourceGroups", location: platform.resourceGroup.location });
    expect(evaluate("[subscription().subscriptionId]")).toBe(SUBSCRIPTION);
    expect(evaluate("[subscription().tenantId]")).toBe(platform.tenantId);
    expect(evaluate("[tenant().tenantId]")).toBe(platform.tenantId);
    expect(evaluate("[environment().suffixes.storage]")).toBe("core.windows.net");
  });

  it("property access is case-insensitive; a missing property throws naming the expression", () => {
    expect(evaluate("[createObject('ConnectionString', 'c').connectionString]")).toBe("c");
    expect(evaluate("[createObject('a', 'c')['A']]")).toBe("c");
    expect(() => evaluate("[createObject('a', 'c').b]")).toThrow(/property 'b' does not exist \(there are: a\) — at createObject\('a', 'c'\)\.b\n {2}in the main template: \[createObject\('a', 'c'\)\.b\]/);
    expect(() => evaluate("[createArray(1)[1]]")).toThrow(/index 1 is out of range/);
  });

  it.each(["[listKeys(resourceId('Microsoft.Storage/storageAccounts', 'st'), '2023-01-01').keys[0].value]", "[utcNow()]", "[map(createArray(1), lambda('x', lambdaVariables('x')))]", "[copyIndex()]"])(
    "refuses %s, naming the function and the expression",
    (expression) => {
      const name = /^\[(\w+)/.exec(expression)?.[1] as string;
      expect(() => evaluate(expression)).toThrow(new RegExp(`unsupported ARM function ${name}\\(\\)[\\s\\S]*in the main template: ${expression.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    },
  );
});
