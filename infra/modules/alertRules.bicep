// Azure Monitor's own alerts on restorewatch, the second line of defence: restorewatch sends its own
// "cannot see your restore sessions" notice after HEALTH_ALERT_AFTER failed runs, but it cannot when
// the app does not start at all or every channel is down. These rules do not depend on the app:
// - no-successful-poll: an absence query, no RestorewatchRun succeeded in ~3 poll periods (also fires
//   when nothing runs at all, or when the app's telemetry never arrives);
// - dead-letters: a delivery gave up on a channel (RestorewatchDelivery outcome deadLettered);
// - failed-runs: the timer function fails in two consecutive 15-minute windows (host requests rows).
// infra/README.md says what each catches and what it does not. All email one action group and run
// as their own identity with Reader on the Application Insights component, not as their last editor.

param location string
param tags object

@description('Prefix of the rule names: <prefix>-failed-runs, -no-successful-poll, -dead-letters.')
param namePrefix string

@description('Name of the Application Insights component the app sends its telemetry to.')
param appInsightsName string

@description('Name of the timer function whose failed executions raise the failed-runs alert.')
param functionName string

@description('The function app\'s name: its records carry it as cloud_RoleName (WEBSITE_SITE_NAME), so a `restorewatch poll` from an operator\'s machine (cloud_RoleName "restorewatch") never keeps the heartbeat quiet.')
param siteName string

@description('NCRONTAB schedule (six fields) of that function: the no-successful-poll window is about three of its periods.')
param pollSchedule string

@description('Addresses the action group emails. Empty: the rules fire (visible in Azure Monitor) with no notification.')
param emails array

@description('Resource id of the user-assigned identity the rules query as.')
param identityId string

@description('Its principal (object) id, given Reader on the Application Insights component.')
param principalId string

var reader = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
// The name this action group had when it served the failed-runs rule alone: kept, so a re-deploy
// updates it instead of leaving the old one behind.
var actionGroupName = take('ag-${namePrefix}-failed-runs', 260)
var actionGroups = empty(emails) ? [] : [actionGroup.id]
var ruleIdentity = {
  type: 'UserAssigned'
  userAssignedIdentities: {
    '${identityId}': {}
  }
}

// --- The poll period, from the NCRONTAB (second minute hour day month day-of-week) ---------------
// Common forms are read exactly: '*/N' or 'A/N' minutes, every minute, once an hour, every N hours,
// once a day. Anything else (lists, ranges, weekdays only) counts as daily: the rule then waits the
// longest window (two days) rather than fire between legitimate runs.
var cron = split(trim(pollSchedule), ' ')
var cronMinute = cron[?1] ?? ''
var cronHour = cron[?2] ?? ''
var cronEveryDay = length(cron) == 6 && cron[?3] == '*' && cron[?4] == '*' && cron[?5] == '*'
var pollPeriodMinutes = !cronEveryDay
  ? 1440
  : cronMinute == '*'
      ? 1
      : contains(cronMinute, '/') && cronHour == '*'
          ? int(last(split(cronMinute, '/')))
          : cronHour == '*' ? 60 : contains(cronHour, '/') ? 60 * int(last(split(cronHour, '/'))) : 1440
// Three periods, at least 30 minutes (Application Insights ingestion takes minutes, and a run is
// recorded when it ends), rounded up to a window size log alerts accept; two days at most.
var heartbeatMinutes = max(3 * pollPeriodMinutes, 30)
var heartbeatWindow = heartbeatMinutes <= 30
  ? 'PT30M'
  : heartbeatMinutes <= 45
      ? 'PT45M'
      : heartbeatMinutes <= 60
          ? 'PT1H'
          : heartbeatMinutes <= 120
              ? 'PT2H'
              : heartbeatMinutes <= 180
                  ? 'PT3H'
                  : heartbeatMinutes <= 240
                      ? 'PT4H'
                      : heartbeatMinutes <= 300
                          ? 'PT5H'
                          : heartbeatMinutes <= 360 ? 'PT6H' : heartbeatMinutes <= 1440 ? 'P1D' : 'P2D'
var heartbeatFrequency = heartbeatMinutes <= 60 ? 'PT5M' : heartbeatMinutes <= 360 ? 'PT15M' : 'PT1H'

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

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

// The rules read the component's classic tables (requests, customEvents) in its resource context,
// which the workspace allows by default (resource-context access); Reader on the component suffices.
resource rulesReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, identityId, reader)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', reader)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource failedRuns 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-failed-runs'
  location: location
  tags: tags
  kind: 'LogAlert'
  identity: ruleIdentity
  dependsOn: [rulesReader]
  properties: {
    displayName: 'restorewatch: ${functionName} is failing'
    description: 'Failed executions of the ${functionName} timer function in two consecutive 15-minute windows: restorewatch is not watching restore sessions. See the exceptions in Application Insights; the app\'s own health notice names the usual causes (Graph permission, storage role, settings).'
    severity: 1
    enabled: true
    scopes: [appInsights.id]
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
      actionGroups: actionGroups
    }
  }
}

resource noSuccessfulPoll 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-no-successful-poll'
  location: location
  tags: tags
  kind: 'LogAlert'
  identity: ruleIdentity
  dependsOn: [rulesReader]
  properties: {
    displayName: 'restorewatch: no successful poll'
    description: 'No RestorewatchRun record with outcome succeeded in the last ${heartbeatWindow} (about three periods of the schedule ${pollSchedule}): the app is not running, its timer does not fire, every run fails, or its telemetry does not reach Application Insights. Check the requests rows of ${functionName}: none means nothing runs; successes without RestorewatchRun records mean telemetry export is broken.'
    severity: 1
    enabled: true
    scopes: [appInsights.id]
    evaluationFrequency: heartbeatFrequency
    windowSize: heartbeatWindow
    autoMitigate: true
    criteria: {
      allOf: [
        {
          // summarize without "by": one row even when there is no data at all, so silence counts 0.
          query: 'customEvents | where name == "RestorewatchRun" and cloud_RoleName == "${siteName}" and tostring(customDimensions.outcome) == "succeeded" and tostring(customDimensions.dryRun) != "true" | summarize SuccessfulRuns = count()'
          timeAggregation: 'Total'
          metricMeasureColumn: 'SuccessfulRuns'
          operator: 'LessThan'
          threshold: 1
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: actionGroups
    }
  }
}

resource deadLetters 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-dead-letters'
  location: location
  tags: tags
  kind: 'LogAlert'
  identity: ruleIdentity
  dependsOn: [rulesReader]
  properties: {
    displayName: 'restorewatch: alerts dead-lettered'
    description: 'restorewatch gave up delivering an alert on a channel after DELIVERY_MAX_ATTEMPTS attempts (one alert per channel). The alert is kept: see the workbook\'s dead letters (the error), fix the channel, then resend with restorewatch retry.'
    severity: 2
    enabled: true
    scopes: [appInsights.id]
    // A 30-minute window evaluated every 15 minutes: a record that arrives up to 15 minutes late is
    // still seen. The alert is stateful, so seeing it twice notifies once.
    evaluationFrequency: 'PT15M'
    windowSize: 'PT30M'
    autoMitigate: true
    criteria: {
      allOf: [
        {
          query: 'customEvents | where name == "RestorewatchDelivery" and tostring(customDimensions.outcome) == "deadLettered" | summarize DeadLettered = count() by channel = tostring(customDimensions.channel)'
          timeAggregation: 'Total'
          metricMeasureColumn: 'DeadLettered'
          dimensions: [
            {
              name: 'channel'
              operator: 'Include'
              values: ['*']
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: actionGroups
    }
  }
}

output ruleNames array = [failedRuns.name, noSuccessfulPoll.name, deadLetters.name]
output heartbeatWindow string = heartbeatWindow
