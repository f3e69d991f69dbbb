import { app, type InvocationContext } from "@azure/functions";
import { TENANT_POISON_QUEUE, TENANT_QUEUE, TENANT_QUEUE_CONNECTION } from "../shared/domain/tenantPoll";

/**
 * One tenant's poll, from its message on the tenant-poll queue. A throw leaves the message to the host,
 * which shows it again after host.json's visibilityTimeout and, after maxDequeueCount tries, moves it
 * to tenant-poll-poison. How many run at once per instance: host.json batchSize + newBatchThreshold.
 */
export async function pollTenant(message: unknown, context: InvocationContext): Promise<void> {
  const { runTenantPoll } = await import("./runtime.js");
  await runTenantPoll(message, context);
}

/** A poison message: recorded for `restorewatch status` and told once as a health notice naming the tenant. */
export async function tenantPollPoison(message: unknown, context: InvocationContext): Promise<void> {
  const { runTenantPoison } = await import("./runtime.js");
  await runTenantPoison(message, context);
}

app.storageQueue("pollTenant", { queueName: TENANT_QUEUE, connection: TENANT_QUEUE_CONNECTION, handler: pollTenant });
app.storageQueue("tenantPollPoison", { queueName: TENANT_POISON_QUEUE, connection: TENANT_QUEUE_CONNECTION, handler: tenantPollPoison });
