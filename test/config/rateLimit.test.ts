import { describe, expect, it } from "vitest";
import { ACS_CUSTOM_DOMAIN_LIMIT, ACS_MANAGED_DOMAIN_LIMIT, defaultEmailRateLimit, formatRateLimit, parseRateLimit } from "../../shared/config/rateLimit";
import { rateBudget } from "../../shared/channels/rateBudget";
import { loadConfig } from "../../shared/config/config";

describe("channel rate limits", () => {
  it("parses count/duration lists and off, and refuses anything else with the reason", () => {
    expect(parseRateLimit("5/1m,10/1h")).toEqual(ACS_MANAGED_DOMAIN_LIMIT);
    expect(parseRateLimit(" 4/s , 1800/1d")).toEqual([{ max: 4, windowMs: 1000 }, { max: 1800, windowMs: 86_400_000 }]);
    expect(parseRateLimit("off")).toEqual([]);
    expect(formatRateLimit(parseRateLimit("30/1m,100/1h"))).toBe("30/1m,100/1h");
    expect(() => parseRateLimit("5 per minute")).toThrow(/not a rate such as 5\/1m/);
    expect(() => parseRateLimit("0/1m")).toThrow(/at least 1/);
  });

  it("defaults by the sender's domain: Azure-managed 5/min and 10/h, custom 30/min and 100/h", () => {
    expect(defaultEmailRateLimit("DoNotReply@abc.azurecomm.net")).toEqual(ACS_MANAGED_DOMAIN_LIMIT);
    expect(defaultEmailRateLimit("alerts@contoso.com")).toEqual(ACS_CUSTOM_DOMAIN_LIMIT);
    const env = { AzureWebJobsStorage: "UseDevelopmentStorage=true", ACS_ENDPOINT: "https://x.communication.azure.com", ALERT_EMAIL_FROM: "a@b.azurecomm.net", ALERT_EMAIL_TO: "c@d.com" };
    expect(loadConfig(env).channels.email?.rateLimit).toEqual(ACS_MANAGED_DOMAIN_LIMIT);
    expect(loadConfig({ ...env, ALERT_EMAIL_RATE_LIMIT: "2/1m" }).channels.email?.rateLimit).toEqual([{ max: 2, windowMs: 60_000 }]);
    // A channel's own setting disables that channel, not the whole configuration.
    const lots = loadConfig({ ...env, ALERT_EMAIL_RATE_LIMIT: "lots" }, { requireChannel: false }).channels;
    expect(lots.email).toBeUndefined();
    expect(lots.disabled).toMatchObject([{ name: "email", setting: "ALERT_EMAIL_RATE_LIMIT", reason: expect.stringMatching(/^ALERT_EMAIL_RATE_LIMIT 'lots' is not a rate/) }]);
  });

  it("counts sends per window and says when the next slot frees", () => {
    const now = 10 * 3_600_000;
    const minuteAgo = (s: number) => now - s * 1000;
    expect(rateBudget(ACS_MANAGED_DOMAIN_LIMIT, [], now)).toEqual({ available: 5 });
    const fiveThisMinute = [50, 40, 30, 20, 10].map(minuteAgo);
    expect(rateBudget(ACS_MANAGED_DOMAIN_LIMIT, fiveThisMinute, now)).toEqual({ available: 0, nextFreeAt: minuteAgo(50) + 60_000 });
    const tenThisHour = [...fiveThisMinute, ...[3000, 2500, 2000, 1500, 1000].map(minuteAgo)];
    const later = now + 60_000;
    expect(rateBudget(ACS_MANAGED_DOMAIN_LIMIT, tenThisHour, later)).toEqual({ available: 0, nextFreeAt: minuteAgo(3000) + 3_600_000 });
    // Sends older than every window no longer count.
    expect(rateBudget(ACS_MANAGED_DOMAIN_LIMIT, tenThisHour, now + 3_600_000)).toEqual({ available: 5 });
  });
});
