// restorewatch: alerts for failed Microsoft 365 Backup restore sessions.
//
// Deploys into one resource group (targetScope resourceGroup): a Flex Consumption function app
// running as a user-assigned managed identity, its storage (host + state table), Application
// Insights with a workbook and Azure Monitor alert rules, Azure Communication Services email and,
// when a Teams webhook is given, a Key Vault; with vnetEnabled, a virtual network the app is integrated with and private endpoints for storage and vault.
// Every role assignment is scoped to the one resource it is about. The Microsoft Graph app role
// (BackupRestore-Restore.Read.All) is granted separately: see infra/README.md. So is the optional
// app registration restorewatch signs in to Graph as instead of the identity (graphAppClientId).

targetScope = 'resourceGroup'

// --- Naming and placement -----------------------------------------------------------------------

@description('Short name used in every resource name (letters, digits, hyphens).')
@minLength(3)
@maxLength(12)
param appName string = 'restorewatch'

@description('Region of the function app, storage, monitoring and Key Vault. Must offer Flex Consumption.')
param location string = resourceGroup().location

@description('Tags added to every resource.')
param tags object = {}

// --- Hosting ------------------------------------------------------------------------------------

@description('Memory per Flex Consumption instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Most instances Flex Consumption may scale to. The poller runs one timer at a time; 40 is the smallest value every Flex region accepts.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Comma-separated addresses Azure Monitor\'s alert rules email (no successful poll, dead letters, failed runs: the second line of defence). Empty: the alert recipients (alertEmailTo).')
param opsAlertEmails string = ''

@description('Days Log Analytics keeps the app\'s logs.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

// --- Private networking -------------------------------------------------------------------------

@description('Run the app in a virtual network: VNet integration, private endpoints (with private DNS zones) for the storage account\'s blob, queue and table services and for the Key Vault, and public network access disabled on both. See infra/README.md, "Private networking".')
param vnetEnabled bool = false

@description('Address space of the virtual network (vnetEnabled).')
param vnetAddressPrefix string = '10.0.0.0/16'

@description('Subnet the function app is integrated with (vnetEnabled): /27 or larger, /26 if other Flex apps will share it.')
param appSubnetAddressPrefix string = '10.0.2.0/24'

@description('Subnet of the private endpoints (vnetEnabled).')
param privateEndpointSubnetAddressPrefix string = '10.0.1.0/24'

// --- Email (Azure Communication Services) -------------------------------------------------------

@description('Comma-separated alert recipients. Empty: no email channel, and no ACS resources are created.')
@metadata({ appSetting: 'ALERT_EMAIL_TO' })
param alertEmailTo string = ''

@description('Data location of a new ACS and Email Communication Service, e.g. Europe or United States.')
param acsDataLocation string = 'United States'

@description('Resource id of an existing Communication Services resource to send through instead of creating one (its email domain must already be linked). Empty: create ACS with an Azure-managed domain.')
param existingAcsResourceId string = ''

@description('Sender address. Required with existingAcsResourceId (an address on a domain linked to it); with a new ACS leave empty to use DoNotReply@<azure-managed-domain>.')
@metadata({ appSetting: 'ALERT_EMAIL_FROM' })
param alertEmailFrom string = ''

@description('Role granting the identity email send on the ACS resource. Default: Communication and Email Service Owner (the built-in role ACS documents for Entra ID email); a platform team may pass its own role.')
param acsSendRoleDefinitionId string = '09976791-48a7-449e-bb21-39d1a415f350'

// --- Teams --------------------------------------------------------------------------------------

@secure()
@description('Teams Workflows webhook URL, stored in Key Vault. Empty: no Teams channel, and no Key Vault is created.')
param teamsWebhookUrl string = ''

// --- Microsoft Graph sign-in -------------------------------------------------------------------

@description('Application (client) id of an app registration whose federated identity credential trusts the managed identity (see infra/README.md). Set: restorewatch signs in to Microsoft Graph as that app in this tenant; empty: as the managed identity.')
@metadata({ appSetting: 'GRAPH_CLIENT_ID' })
param graphAppClientId string = ''

// --- restorewatch behaviour (same defaults as shared/config) ------------------------------------

@description('NCRONTAB schedule (six fields, with seconds) of the poll.')
@metadata({ appSetting: 'POLL_SCHEDULE' })
param pollSchedule string = '0 */5 * * * *'

@description('Comma-separated restore session statuses that raise an alert.')
@metadata({ appSetting: 'ALERT_ON_STATUSES' })
param alertOnStatuses string = 'failed,completedWithError'

@description('Duration (30m, 24h, 2d) after which a session still activating/active is alerted as stuck, or off.')
@metadata({ appSetting: 'ALERT_STUCK_AFTER' })
param alertStuckAfter string = '24h'

@description('Duration after which an unacknowledged failure is re-sent, or off.')
@metadata({ appSetting: 'ALERT_REPEAT_AFTER' })
param alertRepeatAfter string = 'off'

@description('ISO time: on the first run, also alert on sessions completed after it. Empty: the first run records a baseline only.')
@metadata({ appSetting: 'ALERT_BASELINE_SINCE' })
param alertBaselineSince string = ''

@description('Name of the state table in the storage account.')
@metadata({ appSetting: 'STATE_TABLE' })
param stateTableName string = 'restorewatch'

// The fan-out's queue (shared/domain/tenantPoll.ts TENANT_QUEUE): the functions bind to this name, so it is not a parameter.
var tenantQueueName = 'tenant-poll'

@description('Days a finished session\'s state and delivered alerts are kept.')
@metadata({ appSetting: 'STATE_RETENTION_DAYS' })
@minValue(1)
@maxValue(3650)
param stateRetentionDays int = 400

@description('Retries of one Graph request on 429/503/504 or a network error.')
@metadata({ appSetting: 'GRAPH_MAX_RETRIES' })
@minValue(0)
@maxValue(20)
param graphMaxRetries int = 4

@description('Timeout of one Graph request attempt, in seconds.')
@metadata({ appSetting: 'GRAPH_TIMEOUT_SECONDS' })
@minValue(1)
@maxValue(600)
param graphTimeoutSeconds int = 30

@description('Attempts per alert and channel before it is dead-lettered.')
@metadata({ appSetting: 'DELIVERY_MAX_ATTEMPTS' })
@minValue(1)
@maxValue(1000)
param deliveryMaxAttempts int = 10

@description('Consecutive failed runs after which restorewatch alerts that it cannot see restore sessions.')
@metadata({ appSetting: 'HEALTH_ALERT_AFTER' })
@minValue(1)
@maxValue(1000)
param healthAlertAfter int = 3

// --- Names --------------------------------------------------------------------------------------

var suffix = uniqueString(resourceGroup().id, appName)
var compactName = toLower(replace(appName, '-', ''))
var emailEnabled = !empty(alertEmailTo)
var useExistingAcs = !empty(existingAcsResourceId)
var teamsEnabled = !empty(teamsWebhookUrl)
var graphAppEnabled = !empty(graphAppClientId)
var storageAccountName = take('st${compactName}${suffix}', 24)
var keyVaultName = take('kv-${compactName}-${suffix}', 24)
var vnetName = 'vnet-${appName}-${suffix}'
var appInsightsName = 'appi-${appName}-${suffix}'
var communicationServiceName = useExistingAcs ? last(split(existingAcsResourceId, '/')) : 'acs-${appName}-${suffix}'
var acsSubscriptionId = useExistingAcs ? split(existingAcsResourceId, '/')[2] : subscription().subscriptionId
var acsResourceGroupName = useExistingAcs ? split(existingAcsResourceId, '/')[4] : resourceGroup().name
// azd finds the app to deploy to by this tag (azure.yaml service "restorewatch"); only the site has it.
var siteTags = union(tags, { 'azd-service-name': 'restorewatch' })

// --- Resources ----------------------------------------------------------------------------------

// The one identity the app uses for everything: host storage, state table, deployment package,
// Application Insights, Key Vault references, ACS email and Microsoft Graph.
resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'id-${appName}-${suffix}'
  location: location
  tags: tags
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: storageAccountName
    location: location
    tags: tags
    deploymentContainerName: 'app-package'
    stateTableName: stateTableName
    tenantQueueName: tenantQueueName
    allowPublicNetworkAccess: !vnetEnabled
    identityId: identity.id
    principalId: identity.properties.principalId
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: 'log-${appName}-${suffix}'
    appInsightsName: appInsightsName
    location: location
    tags: tags
    retentionInDays: logRetentionInDays
    identityId: identity.id
    principalId: identity.properties.principalId
  }
}

// The identity Azure Monitor's alert rules query as (Reader on Application Insights, nothing else), so
// they neither run as whoever last edited them nor depend on the app's identity.
resource alertRulesIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: 'id-${appName}-${suffix}-alerts'
  location: location
  tags: tags
}

// Azure Monitor's own alerts (no successful poll, dead letters, failed runs), emailed to the alert
// recipients (or to opsAlertEmails).
module alertRules 'modules/alertRules.bicep' = {
  name: 'alert-rules'
  dependsOn: [
    monitoring // the component the rules query
  ]
  params: {
    namePrefix: 'alert-${appName}-${suffix}'
    location: location
    tags: tags
    appInsightsName: appInsightsName
    functionName: 'pollRestoreSessions'
    siteName: 'func-${appName}-${suffix}'
    pollSchedule: pollSchedule
    emails: filter(map(split(empty(opsAlertEmails) ? alertEmailTo : opsAlertEmails, ','), email => trim(email)), email => !empty(email))
    identityId: alertRulesIdentity.id
    principalId: alertRulesIdentity.properties.principalId
  }
}

// The operators' view of runs, alerts, deliveries, dead letters and Graph throttling.
module workbook 'modules/workbook.bicep' = {
  name: 'workbook'
  dependsOn: [
    monitoring // the component the workbook queries
  ]
  params: {
    location: location
    tags: tags
    appInsightsName: appInsightsName
    displayName: 'restorewatch (${appName}-${suffix})'
  }
}

module communication 'modules/communication.bicep' = if (emailEnabled && !useExistingAcs) {
  name: 'communication'
  params: {
    communicationServiceName: communicationServiceName
    emailServiceName: 'ecs-${appName}-${suffix}'
    tags: tags
    dataLocation: acsDataLocation
  }
}

// The send role on the ACS resource, in whichever resource group (and subscription) it lives.
module communicationAccess 'modules/communicationAccess.bicep' = if (emailEnabled) {
  name: 'communication-access'
  scope: resourceGroup(acsSubscriptionId, acsResourceGroupName)
  dependsOn: [
    communication // when it creates the ACS resource
  ]
  params: {
    communicationServiceName: communicationServiceName
    identityId: identity.id
    principalId: identity.properties.principalId
    sendRoleDefinitionId: acsSendRoleDefinitionId
  }
}

module keyVault 'modules/keyVault.bicep' = if (teamsEnabled) {
  name: 'key-vault'
  params: {
    name: keyVaultName
    location: location
    tags: tags
    teamsWebhookUrl: teamsWebhookUrl
    allowPublicNetworkAccess: !vnetEnabled
    identityId: identity.id
    principalId: identity.properties.principalId
  }
}

// --- Private networking (vnetEnabled) -------------------------------------------------------------

module network 'modules/network.bicep' = if (vnetEnabled) {
  name: 'network'
  params: {
    name: vnetName
    location: location
    tags: tags
    addressPrefix: vnetAddressPrefix
    appSubnetPrefix: appSubnetAddressPrefix
    privateEndpointSubnetPrefix: privateEndpointSubnetAddressPrefix
  }
}

// One endpoint and privatelink zone per storage service the app uses: blob (host leases, keys and the
// deployment package), queue (host) and table (state).
module storageBlobEndpoint 'modules/privateEndpoint.bicep' = if (vnetEnabled) {
  name: 'private-endpoint-blob'
  params: {
    name: 'pe-${storageAccountName}-blob'
    location: location
    tags: tags
    targetResourceId: storage.outputs.id
    groupId: 'blob'
    dnsZoneName: 'privatelink.blob.${environment().suffixes.storage}'
    subnetId: network!.outputs.privateEndpointSubnetId
    vnetName: vnetName
  }
}

module storageQueueEndpoint 'modules/privateEndpoint.bicep' = if (vnetEnabled) {
  name: 'private-endpoint-queue'
  params: {
    name: 'pe-${storageAccountName}-queue'
    location: location
    tags: tags
    targetResourceId: storage.outputs.id
    groupId: 'queue'
    dnsZoneName: 'privatelink.queue.${environment().suffixes.storage}'
    subnetId: network!.outputs.privateEndpointSubnetId
    vnetName: vnetName
  }
}

module storageTableEndpoint 'modules/privateEndpoint.bicep' = if (vnetEnabled) {
  name: 'private-endpoint-table'
  params: {
    name: 'pe-${storageAccountName}-table'
    location: location
    tags: tags
    targetResourceId: storage.outputs.id
    groupId: 'table'
    dnsZoneName: 'privatelink.table.${environment().suffixes.storage}'
    subnetId: network!.outputs.privateEndpointSubnetId
    vnetName: vnetName
  }
}

// Key Vault's privatelink zone is privatelink.vaultcore.azure.net: it cannot be derived from
// environment().suffixes.keyvaultDns (.vault.azure.net), which would give privatelink.vault.azure.net.
module keyVaultEndpoint 'modules/privateEndpoint.bicep' = if (vnetEnabled && teamsEnabled) {
  name: 'private-endpoint-vault'
  params: {
    name: 'pe-${keyVaultName}-vault'
    location: location
    tags: tags
    targetResourceId: keyVault!.outputs.id
    groupId: 'vault'
    dnsZoneName: 'privatelink.vaultcore.azure.net'
    subnetId: network!.outputs.privateEndpointSubnetId
    vnetName: vnetName
  }
}

// --- App settings: everything shared/config reads in production, nothing secret ------------------

// Functions host: identity-based storage and Entra-authenticated Application Insights.
var hostSettings = {
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.properties.clientId
  AzureWebJobsStorage__blobServiceUri: storage.outputs.blobEndpoint
  AzureWebJobsStorage__queueServiceUri: storage.outputs.queueEndpoint
  // Also where restorewatch keeps its state table (shared/config reads it).
  AzureWebJobsStorage__tableServiceUri: storage.outputs.tableEndpoint
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.connectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
  AZURE_CLIENT_ID: identity.properties.clientId
  // Many tenants: the tenant-poll queue's identity-based connection (connection "TenantQueue" of the
  // timer's output binding and of pollTenant's trigger), with the same identity.
  TenantQueue__queueServiceUri: storage.outputs.queueEndpoint
  TenantQueue__credential: 'managedidentity'
  TenantQueue__clientId: identity.properties.clientId
  // Stack traces name the TypeScript source (the package's app.js.map). The package's index.js turns
  // source maps on as well, for a worker that does not receive NODE_OPTIONS (a pre-warmed one).
  NODE_OPTIONS: '--enable-source-maps'
}

var restorewatchSettings = {
  POLL_SCHEDULE: pollSchedule
  ALERT_ON_STATUSES: alertOnStatuses
  ALERT_STUCK_AFTER: alertStuckAfter
  ALERT_REPEAT_AFTER: alertRepeatAfter
  STATE_TABLE: stateTableName
  STATE_RETENTION_DAYS: string(stateRetentionDays)
  GRAPH_MAX_RETRIES: string(graphMaxRetries)
  GRAPH_TIMEOUT_SECONDS: string(graphTimeoutSeconds)
  DELIVERY_MAX_ATTEMPTS: string(deliveryMaxAttempts)
  HEALTH_ALERT_AFTER: string(healthAlertAfter)
}

var baselineSettings = empty(alertBaselineSince) ? {} : { ALERT_BASELINE_SINCE: alertBaselineSince }

// The app registration signs in to the tenant it is registered in, which is this deployment's tenant.
var graphAppSettings = graphAppEnabled ? { GRAPH_CLIENT_ID: graphAppClientId, GRAPH_TENANT_ID: tenant().tenantId } : {}

var emailSettings = emailEnabled
  ? {
      ACS_ENDPOINT: communicationAccess!.outputs.endpoint
      ALERT_EMAIL_FROM: empty(alertEmailFrom) && !useExistingAcs ? communication!.outputs.senderAddress : alertEmailFrom
      ALERT_EMAIL_TO: alertEmailTo
    }
  : {}

// The vault also holds routes' Teams webhooks (restorewatch route add --teams-secret), read with the same role.
var teamsSettings = teamsEnabled
  ? {
      TEAMS_WEBHOOK_URL: '@Microsoft.KeyVault(SecretUri=${keyVault!.outputs.teamsWebhookSecretUri})'
      KEY_VAULT_URI: keyVault!.outputs.uri
    }
  : {}

module functionApp 'modules/functionApp.bicep' = {
  name: 'function-app'
  // With vnetEnabled the app reaches its storage and vault only through these: start it once they resolve.
  dependsOn: [
    storageBlobEndpoint
    storageQueueEndpoint
    storageTableEndpoint
    keyVaultEndpoint
  ]
  params: {
    planName: 'plan-${appName}-${suffix}'
    appName: 'func-${appName}-${suffix}'
    location: location
    tags: tags
    siteTags: siteTags
    identityId: identity.id
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    appSettings: union(hostSettings, restorewatchSettings, baselineSettings, graphAppSettings, emailSettings, teamsSettings)
    virtualNetworkSubnetId: vnetEnabled ? network!.outputs.appSubnetId : ''
  }
}

// --- Outputs (azd stores them in the environment; the postprovision hook prints the grant command)

output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output MANAGED_IDENTITY_NAME string = identity.name
output MANAGED_IDENTITY_CLIENT_ID string = identity.properties.clientId
@description('Pass this to: restorewatch grant-graph-permission --principal-id <it>')
output MANAGED_IDENTITY_PRINCIPAL_ID string = identity.properties.principalId
@description('Empty: restorewatch signs in to Graph as the managed identity. Set: as this app registration; grant it with --app-id <it>.')
output GRAPH_CLIENT_ID string = graphAppClientId
output STORAGE_ACCOUNT_NAME string = storage.outputs.name
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.appInsightsName
output EMAIL_SENDER_ADDRESS string = emailSettings.?ALERT_EMAIL_FROM ?? ''
output KEY_VAULT_NAME string = teamsEnabled ? keyVault!.outputs.name : ''
output VIRTUAL_NETWORK_ID string = vnetEnabled ? network!.outputs.id : ''
