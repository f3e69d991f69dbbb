// A private endpoint for one sub-resource (groupId) of one resource, and the private DNS zone that
// makes the resource's usual host name resolve to it inside the virtual network: the zone, its link
// to the network, and the endpoint's zone group (which writes the endpoint's A record into the zone).

param name string
param location string
param tags object

@description('Resource id of the resource the endpoint reaches, e.g. the storage account or the Key Vault.')
param targetResourceId string

@description('The sub-resource reached: blob, queue, table (storage) or vault (Key Vault).')
param groupId string

@description('The privatelink zone of that sub-resource, e.g. privatelink.blob.core.windows.net or privatelink.vaultcore.azure.net.')
param dnsZoneName string

@description('Resource id of the subnet that holds the endpoint.')
param subnetId string

@description('Name of the virtual network (in this resource group) the zone is linked to.')
param vnetName string

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' existing = {
  name: vnetName
}

resource zone 'Microsoft.Network/privateDnsZones@2024-06-01' = {
  name: dnsZoneName
  location: 'global'
  tags: tags

  resource vnetLink 'virtualNetworkLinks' = {
    name: 'link-${vnetName}'
    location: 'global'
    tags: tags
    properties: {
      virtualNetwork: {
        id: vnet.id
      }
      registrationEnabled: false
    }
  }
}

resource endpoint 'Microsoft.Network/privateEndpoints@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    subnet: {
      id: subnetId
    }
    customNetworkInterfaceName: '${name}-nic'
    privateLinkServiceConnections: [
      {
        name: name
        properties: {
          privateLinkServiceId: targetResourceId
          groupIds: [
            groupId
          ]
        }
      }
    ]
  }

  resource zoneGroup 'privateDnsZoneGroups' = {
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [
        {
          name: replace(dnsZoneName, '.', '-')
          properties: {
            privateDnsZoneId: zone.id
          }
        }
      ]
    }
  }
}

output id string = endpoint.id
