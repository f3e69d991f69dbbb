import { expect, it } from "vitest";
import { TableClient } from "@azure/data-tables";
import { useAzurite } from "../../support/useAzurite";

const azurite = useAzurite();

it("Azurite accepts the SDK over http", async () => {
  const client = TableClient.fromConnectionString(azurite.connectionString, "probe", { allowInsecureConnection: true });
  await client.createTable();
  await client.createEntity({ partitionKey: "p", rowKey: "r", value: 1 });
  expect((await client.getEntity<{ value: number }>("p", "r")).value).toBe(1);
});
