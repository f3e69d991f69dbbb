// Key Vault (RBAC mode) holding the Teams Workflows webhook URL. The URL is a bearer credential:
// anyone who has it can post to the channel, so it lives here and the app setting is a Key Vault
// reference the platform resolves with the managed identity.

param name string
param location string
param tags object

@secure()
@description('The Teams Workflows webhook URL.')
param teamsWebhookUrl string

@description('False (vnetEnabled): the vault is reached only through its private endpoint.')
param allowPublicNetworkAccess bool

@description('Resource id of the managed identity; names the role assignments so re-deploys find the same ones.')
param identityId string

@description('Principal (object) id of the managed identity that reads the secret.')
param principalId string

var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // Purge protection cannot be turned off again: a deleted vault stays recoverable for 90 days
    // and its name cannot be reused until then (see infra/README.md, "Remove").
    enablePurgeProtection: true
    // Without VNet integration App Service resolves the Key Vault reference over the public endpoint;
    // with it, through the app's virtual network and the vault's private endpoint.
    publicNetworkAccess: allowPublicNetworkAccess ? 'Enabled' : 'Disabled'
  }

  resource teamsWebhook 'secrets' = {
    name: 'teams-webhook-url'
    properties: {
      value: teamsWebhookUrl
      contentType: 'text/plain'
    }
  }
}

// Read secret values in this vault only.
resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identityId, keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output id string = vault.id
output name string = vault.name
// KEY_VAULT_URI: routes' Teams webhooks are secrets of this vault, read by the app at send time.
output uri string = vault.properties.vaultUri
// Versionless, so a rotated secret is picked up without redeploying.
output teamsWebhookSecretUri string = vault::teamsWebhook.properties.secretUri
