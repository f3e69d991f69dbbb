// Azure Communication Services with an Email Communication Service and an Azure-managed domain
// (<guid>.azurecomm.net, no DNS work). Replace it with a custom domain for production volumes:
// Azure-managed domains have low sending limits.

param communicationServiceName string
param emailServiceName string
param tags object

@description('Where ACS stores data at rest, e.g. Europe or United States.')
param dataLocation string

resource emailService 'Microsoft.Communication/emailServices@2025-05-01' = {
  name: emailServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
  }

  // The name is fixed by the service for Azure-managed domains.
  resource azureManagedDomain 'domains' = {
    name: 'AzureManagedDomain'
    location: 'global'
    tags: tags
    properties: {
      domainManagement: 'AzureManaged'
      userEngagementTracking: 'Disabled'
    }
  }
}

resource communicationService 'Microsoft.Communication/communicationServices@2025-05-01' = {
  name: communicationServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
    linkedDomains: [
      emailService::azureManagedDomain.id
    ]
    // No access keys: the app sends with its managed identity (ACS_ENDPOINT), never a connection string.
    disableLocalAuth: true
  }
}

output name string = communicationService.name
output senderAddress string = 'DoNotReply@${emailService::azureManagedDomain.properties.mailFromSenderDomain}'
