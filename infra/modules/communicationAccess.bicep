// Lets the managed identity send email through one ACS resource, new or existing. Deployed into
// the ACS resource's own resource group, so an existing ACS can live elsewhere.

@description('Name of the Communication Services resource in this resource group.')
param communicationServiceName string

@description('Resource id of the managed identity; names the role assignments so re-deploys find the same ones.')
param identityId string

@description('Principal (object) id of the managed identity that sends email.')
param principalId string

@description('Role definition id (GUID) granting email send on the ACS resource.')
param sendRoleDefinitionId string

resource communicationService 'Microsoft.Communication/communicationServices@2025-05-01' existing = {
  name: communicationServiceName
}

resource send 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(communicationService.id, identityId, sendRoleDefinitionId)
  scope: communicationService
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', sendRoleDefinitionId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output endpoint string = 'https://${communicationService.properties.hostName}'
