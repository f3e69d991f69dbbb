// Storage for the Functions host (AzureWebJobsStorage), the Flex deployment package and the
// restorewatch state table. Shared keys are off: everything goes through the managed identity.

param name string
param location string
param tags object

@description('Blob container the Flex Consumption plan deploys the app package from.')
param deploymentContainerName string

@description('Name of the state table (STATE_TABLE). Created here: the identity\'s table role is on this table only, which does not allow creating tables.')
param stateTableName string

@description('The fan-out\'s queue of tenant polls (functions/pollTenant.ts); its poison queue is this name + \'-poison\', as the Functions host names it.')
param tenantQueueName string

@description('False (vnetEnabled): no public endpoint at all; the account is reached only through its private endpoints.')
param allowPublicNetworkAccess bool

@description('Resource id of the managed identity; names the role assignments so re-deploys find the same ones.')
param identityId string

@description('Principal (object) id of the managed identity that gets data roles on this account.')
param principalId string

// Built-in role definition ids.
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    // Flex Consumption without virtual network integration reaches storage over its public endpoint;
    // with it, through the private endpoints, and no exception lets any other service in.
    publicNetworkAccess: allowPublicNetworkAccess ? 'Enabled' : 'Disabled'
    networkAcls: {
      defaultAction: allowPublicNetworkAccess ? 'Allow' : 'Deny'
      bypass: allowPublicNetworkAccess ? 'AzureServices' : 'None'
    }
  }

  resource blobService 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }

  // Many tenants (issue 16): the timer puts one message per tenant on this queue, pollTenant takes
  // them; the host moves a message that failed maxDequeueCount times to the poison queue.
  resource queueService 'queueServices' = {
    name: 'default'

    resource tenantQueue 'queues' = {
      name: tenantQueueName
    }

    resource tenantPoisonQueue 'queues' = {
      name: '${tenantQueueName}-poison'
    }
  }

  resource tableService 'tableServices' = {
    name: 'default'

    resource stateTable 'tables' = {
      name: stateTableName
    }
  }
}

// Functions host with an identity-based AzureWebJobsStorage: blob leases for the timer trigger's
// singleton lock and host keys, and the Flex deployment container. Blob Data Owner is what the
// Functions documentation requires for identity-based host storage.
resource blobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identityId, storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwner)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Functions host: queues it uses internally (e.g. blob-trigger receipts, diagnostics events) with
// an identity-based AzureWebJobsStorage__queueServiceUri; and the fan-out's connection (TenantQueue__*,
// the same identity): the timer's output binding sends to tenant-poll, pollTenant and tenantPollPoison
// read, process and delete. This one role covers both sides (the trigger's Reader + Message Processor,
// the output binding's Sender). A second assignment on the two queues alone would grant nothing more
// narrowly while the host's account-wide one is needed, so there is none.
resource queueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identityId, storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// restorewatch's own state (sessions, outbox, silences, run metadata), on the state table only: no
// other table in the account is readable or writable. Creating a table is an action on the account,
// so the app's createTable is refused (403) and it uses the table created above (ensureTable).
resource tableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage::tableService::stateTable.id, identityId, storageTableDataContributor)
  scope: storage::tableService::stateTable
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output id string = storage.id
output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output tenantQueueName string = storage::queueService::tenantQueue.name
output tableEndpoint string = storage.properties.primaryEndpoints.table
output deploymentContainerUrl string = '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
