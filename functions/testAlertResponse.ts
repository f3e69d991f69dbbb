import type { HttpResponseInit } from "@azure/functions";
import type { TestAlertResult } from "../shared/pipeline/testAlert";

/**
 * The test alert's HTTP answer. 200 when every configured channel delivered; 502 Bad Gateway when
 * one or more failed: the app worked, a service behind it (ACS, the Teams workflow) did not, and
 * `curl -f` and scripts see a failure (a 207 would pass for success). The body lists every channel either way.
 */
export function testAlertResponse(result: TestAlertResult): HttpResponseInit {
  const allDelivered = result.channels.every((channel) => channel.outcome === "delivered");
  return { status: allDelivered ? 200 : 502, jsonBody: result };
}

/** 500: the app's channel settings are unusable (nothing was sent); the message names the setting. */
export function configurationErrorResponse(message: string): HttpResponseInit {
  return { status: 500, jsonBody: { error: "configuration", message, channels: [] } };
}
