/**
 * # ARM template evaluator (test support)
 *
 * Computes what Azure would make of the template compiled from infra/main.bicep
 * (`.local/infra/main.json`, see loadCompiledTemplate), so a test can run the deploy package with
 * the app settings the deployment would set, pointing only the endpoints at local stand-ins.
 *
 * Entry points (all take the template and `{ parameters, platform }`):
 * - siteAppSettings: the function app's app settings, as strings.
 * - functionAppSite: its evaluated Microsoft.Web/sites resource (e.g. functionAppConfig.runtime).
 * - deploymentOutputs: the main template's outputs.
 * - deployedKeyVaults: the Key Vault secrets the template writes, as stand-in vaults for
 *   ../keyVaultReferences.ts.
 * - DeploymentScope: the evaluator itself, for tests that inspect other resources.
 *
 * What it evaluates: parameters (given values, else defaults; type, allowedValues, min/max value
 * and length checked), variables, Bicep modules (nested deployments with an inline template and
 * inner scope: their parameters, also a parameter passed as one expression for the whole entry, which is
 * how Bicep passes a conditional value, conditions and outputs via
 * reference(resourceId('Microsoft.Resources/deployments', ...))),
 * reference() of resources through the platform stand-in (platform.ts), and the functions if (lazy,
 * as ARM's), and, or, not, equals, empty, union (objects merged deeply), coalesce, tryGet (Bicep's
 * `.?`), createObject, createArray, format ({n} items only), concat, string, int, bool, json,
 * toLower, toUpper, replace, take, skip, split, first, last, trim, contains, length, true, false,
 * less, lessOrEquals, greater, greaterOrEquals, min, max, mul (ints),
 * null, resourceId, subscriptionResourceId, extensionResourceId, resourceGroup, subscription,
 * tenant, environment (public cloud), and stand-ins for uniqueString and guid (stable and
 * well-formed, not ARM's hash: names differ from a real deployment's).
 *
 * and() and or() evaluate all their arguments (whether ARM short-circuits them is not assumed).
 *
 * What it refuses (throws ArmTemplateError naming the expression): anything else, among them copy
 * loops (resource, property, variable, output), lambdas (map, filter, ...), user-defined functions,
 * list*() (keys), utcNow, deployment(), reference() by name or with 'Full', languageVersion 2.0
 * templates, linked templates, outer-scope nested templates, deployments above resource group
 * scope, Key Vault parameter references, secure outputs, a reference() to a module or resource
 * whose condition is false, a missing property, a parameter value Azure would reject, an app setting
 * that is not a string, and how ARM renders a bool inside string() or format(). (infra/main.bicep
 * uses lambdas and a property copy loop only for the alert rules' email receivers, which no entry
 * point reads; tests of the alert rules read them as expressions.)
 */

export { DeploymentScope, type EvaluationOptions } from "./deployment";
export { isExpression, parseExpression, type ExpressionNode } from "./expression";
export { standInPlatform, type PlatformStandIn } from "./platform";
export { deployedKeyVaults, deploymentOutputs, functionAppSite, siteAppSettings } from "./site";
export { loadCompiledTemplate, type ArmOutput, type ArmParameter, type ArmResource, type ArmTemplate } from "./template";
export { ArmTemplateError, type ArmObject, type ArmValue } from "./values";
