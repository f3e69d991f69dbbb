// The virtual network restorewatch runs in when vnetEnabled: one subnet the Flex Consumption app is
// integrated with, one for the private endpoints of its storage account and Key Vault.

param name string
param location string
param tags object

@description('Address space of the virtual network, e.g. 10.0.0.0/16.')
param addressPrefix string

@description('Prefix of the subnet the function app is integrated with: /27 or larger (Flex Consumption\'s minimum).')
param appSubnetPrefix string

@description('Prefix of the subnet that holds the private endpoints.')
param privateEndpointSubnetPrefix string

// Flex Consumption refuses subnet names with an underscore.
var appSubnetName = 'app'
var privateEndpointSubnetName = 'private-endpoints'

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: appSubnetName
        properties: {
          addressPrefix: appSubnetPrefix
          // Flex Consumption's VNet integration: delegated to Microsoft.App/environments, and holding
          // nothing else (no private or service endpoints).
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: privateEndpointSubnetName
        properties: {
          addressPrefix: privateEndpointSubnetPrefix
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }

  resource appSubnet 'subnets' existing = {
    name: appSubnetName
  }

  resource privateEndpointSubnet 'subnets' existing = {
    name: privateEndpointSubnetName
  }
}

output id string = vnet.id
output appSubnetId string = vnet::appSubnet.id
output privateEndpointSubnetId string = vnet::privateEndpointSubnet.id
