import { describe, expect, it } from "vitest";
import { redactWebhookUrl, validateTeamsWebhookUrl } from "../../shared/config/teamsWebhookUrl";

const WORKFLOWS =
  "https://default0f3a8c2e5b1d4c7a9e6f2d8b4a1c7e.90.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/4f8e2b1a9c3d4e5f8a7b6c5d4e3f2a1b/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=AbC-123_xyz";
const LOGIC_APPS =
  "https://prod-27.westeurope.logic.azure.com:443/workflows/0123456789abcdef0123456789abcdef/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=AbC-123_xyz";
const CONNECTOR =
  "https://contoso.webhook.office.com/webhookb2/0f3a8c2e-5b1d-4c7a-9e6f-2d8b4a1c7e90@7e1a0c5d-3b1f-4f63-9d2a-0c6f5e8b4a11/IncomingWebhook/0123456789abcdef/6c5d4e3f-2a1b-4c7a-9e6f-2d8b4a1c7e90";

describe("validateTeamsWebhookUrl", () => {
  it("accepts a Workflows URL (Power Platform host, explicit :443)", () => {
    expect(validateTeamsWebhookUrl(WORKFLOWS, []).searchParams.get("sig")).toBe("AbC-123_xyz");
  });

  it("accepts a path variant on the Power Platform host (the host is what is checked)", () => {
    const variant = WORKFLOWS.replace("/powerautomate/automations/direct/workflows/", "/powerautomate/automations/direct/cu/25/workflows/");
    expect(() => validateTeamsWebhookUrl(variant, [])).not.toThrow();
  });

  it("accepts a legacy logic.azure.com workflow and a webhook.office.com connector", () => {
    expect(validateTeamsWebhookUrl(LOGIC_APPS, []).hostname).toBe("prod-27.westeurope.logic.azure.com");
    expect(validateTeamsWebhookUrl(CONNECTOR, []).hostname).toBe("contoso.webhook.office.com");
  });

  it("rejects http, user info, other hosts and look-alikes", () => {
    expect(() => validateTeamsWebhookUrl(LOGIC_APPS.replace("https:", "http:"), [])).toThrow(/must be an https/);
    expect(() => validateTeamsWebhookUrl(LOGIC_APPS.replace("https://", "https://user:pass@"), [])).toThrow(/user info/);
    expect(() => validateTeamsWebhookUrl("https://evil.example.com/hook", [])).toThrow(/not a Teams Workflows or connector host/);
    expect(() => validateTeamsWebhookUrl("https://evillogic.azure.com/workflows/x?sig=a", [])).toThrow(/not a Teams/);
    expect(() => validateTeamsWebhookUrl("https://prod-27.westeurope.logic.azure.com.evil.example/x?sig=a", [])).toThrow(/not a Teams/);
    expect(() => validateTeamsWebhookUrl("not a url", [])).toThrow(/is not a URL/);
  });

  it("rejects a workflow URL without its signature, and a known host on another port", () => {
    expect(() => validateTeamsWebhookUrl(LOGIC_APPS.replace(/&sig=.*$/, ""), [])).toThrow(/without its sig= parameter/);
    expect(() => validateTeamsWebhookUrl(WORKFLOWS.replace(":443", ":8443"), [])).toThrow(/default https port/);
  });

  it("allows extra hosts by name or host:port, still https only", () => {
    expect(validateTeamsWebhookUrl("https://relay.contoso.com/hook", ["Relay.Contoso.com"]).host).toBe("relay.contoso.com");
    expect(validateTeamsWebhookUrl("https://127.0.0.1:8443/hook", ["127.0.0.1:8443"]).port).toBe("8443");
    expect(() => validateTeamsWebhookUrl("https://127.0.0.1:8443/hook", ["127.0.0.2"])).toThrow(/not a Teams/);
    expect(() => validateTeamsWebhookUrl("http://relay.contoso.com/hook", ["relay.contoso.com"])).toThrow(/https/);
  });

  it("never quotes the URL or its signature in an error", () => {
    try {
      validateTeamsWebhookUrl(LOGIC_APPS.replace("https:", "http:"), []);
    } catch (error) {
      expect(String(error)).not.toContain("AbC-123_xyz");
    }
  });
});

describe("redactWebhookUrl", () => {
  it("keeps the scheme and host only", () => {
    expect(redactWebhookUrl(new URL(LOGIC_APPS))).toBe("https://prod-27.westeurope.logic.azure.com/…");
  });
});
