// An Azure Monitor workbook over restorewatch's telemetry records (customEvents RestorewatchRun,
// RestorewatchAlert, RestorewatchDelivery): runs, the last successful run, alerts, deliveries, dead
// letters and Graph throttling. Its items, queries included, live in infra/workbook/ as plain JSON,
// so test/infra reads the very text deployed here and checks every field it reads is one the app emits.

param location string
param tags object

@description('Name of the Application Insights component the workbook queries (and is listed under).')
param appInsightsName string

@description('Display name of the workbook in the portal.')
param displayName string

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

var content = loadJsonContent('../workbook/restorewatch.workbook.json')

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // A workbook's name must be a GUID: stable for this component, so a re-deploy updates it.
  name: guid(appInsights.id, 'restorewatch-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    version: 'Notebook/1.0'
    // Lower case: the portal lists a workbook under its resource by this exact string.
    sourceId: toLower(appInsights.id)
    serializedData: string(union(content, { fallbackResourceIds: [appInsights.id] }))
  }
}

output id string = workbook.id
