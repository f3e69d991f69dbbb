// Flex Consumption (FC1) function app on Linux, Node.js 22, running as the user-assigned identity.
// Runtime, version and scale live in functionAppConfig: Flex rejects the older app settings
// FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION, WEBSITE_NODE_DEFAULT_VERSION,
// WEBSITE_RUN_FROM_PACKAGE and WEBSITE_CONTENT*, so none of them is set.

param planName string
param appName string
param location string

@description('Tags of the plan.')
param tags object

@description('Tags of the site: the plan\'s, plus the azd-service-name tag azd deploys to (on the site only: azd before 1.23.4 refuses a tag found on two resources).')
param siteTags object

@description('Resource id of the user-assigned managed identity.')
param identityId string

@description('URL of the blob container holding the deployment package.')
param deploymentContainerUrl string

@description('Upper bound on instances. A timer-driven poller needs few; this caps cost and Graph load.')
param maximumInstanceCount int

@description('Memory per instance, in MB.')
param instanceMemoryMB int

@description('Every app setting, already composed by main.bicep.')
param appSettings object

@description('Resource id of the subnet (delegated to Microsoft.App/environments) the app is integrated with. Empty: no VNet integration.')
param virtualNetworkSubnetId string

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true // Linux
  }
}

resource site 'Microsoft.Web/sites@2024-11-01' = {
  name: appName
  location: location
  tags: siteTags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // All of a Flex app's outbound traffic goes through this subnet; no route-all setting is needed.
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    // Key Vault references (TEAMS_WEBHOOK_URL) are resolved with this identity, not a system-assigned one.
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }

  resource settings 'config' = {
    name: 'appsettings'
    properties: appSettings
  }

  // No FTP and no basic-auth publishing: deployments authenticate with Entra ID.
  resource ftp 'basicPublishingCredentialsPolicies' = {
    name: 'ftp'
    properties: {
      allow: false
    }
  }

  resource scm 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: {
      allow: false
    }
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
