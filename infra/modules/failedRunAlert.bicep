// The second line of defence: an Azure Monitor log alert on failed executions of the timer function.
// restorewatch sends its own "cannot see your restore sessions" notice after HEALTH_ALERT_AFTER failed
// runs, but it cannot when the app does not start at all (a bad setting, a broken deployment) or when
// every channel is down too; this rule does not depend on the app.

param name string
param location string
param tags object

@description('Resource id of the Application Insights component the function app logs to.')
param appInsightsId string

@description('Name of the timer function whose failed executions raise the alert.')
param functionName string

@description('Addresses the action group emails. Empty: the rule fires (visible in Azure Monitor) with no notification.')
param emails array

var actionGroupName = take('ag-${name}', 260)

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(emails)) {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    groupShortName: take('restorewtch', 12)
    enabled: true
    emailReceivers: [
      for (email, i) in emails: {
        name: 'email-${i}'
        emailAddress: email
        useCommonAlertSchema: true
      }
    ]
  }
}

resource failedRuns 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    displayName: 'restorewatch: ${functionName} is failing'
    description: 'Failed executions of the ${functionName} timer function in two consecutive 15-minute windows: restorewatch is not watching restore sessions. See the exceptions in Application Insights; the app\'s own health notice names the usual causes (Graph permission, storage role, settings).'
    severity: 1
    enabled: true
    scopes: [
      appInsightsId
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    autoMitigate: true
    criteria: {
      allOf: [
        {
          query: 'requests | where operation_Name =~ "${functionName}" and success == false'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 2
            minFailingPeriodsToAlert: 2
          }
        }
      ]
    }
    actions: {
      actionGroups: empty(emails) ? [] : [
        actionGroup.id
      ]
    }
  }
}

output ruleName string = failedRuns.name
