import { afterAll, beforeAll, expect, it } from "vitest";
import { TableClient } from "@azure/data-tables";
import { startAzuriteTable, type AzuriteTable } from "../support/azurite";

let azurite: AzuriteTable;
beforeAll(async () => {
  azurite = await startAzuriteTable();
});
afterAll(async () => {
  await azurite.stop();
});

it("Azurite accepts the SDK over http", async () => {
  const client = TableClient.fromConnectionString(azurite.connectionString, "probe", { allowInsecureConnection: true });
  await client.createTable();
  await client.createEntity({ partitionKey: "p", rowKey: "r", value: 1 });
  expect((await client.getEntity<{ value: number }>("p", "r")).value).toBe(1);
});
