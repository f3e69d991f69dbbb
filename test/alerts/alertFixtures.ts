import type { Alert, FailedArtifact, FailureDetail } from "../../shared/domain/alert";
import type { RestoreSession, RestoreSessionStatus, Workload } from "../../shared/domain/restoreSession";

/** Hostile strings for names, messages and ids: markup, Markdown, template expressions, mentions. */
export const HOSTILE_STRINGS = [
  "<script>alert(1)</script>",
  "[click](https://evil.example)",
  "{{secret}}",
  "{{DATE(2017-02-14T06:08:39Z, SHORT)}}",
  "${x}",
  "@{triggerBody()}",
  "**bold** _italic_ ~~strike~~ `code`",
  "# heading",
  "- list item",
  "1. numbered",
  "> quote",
  "<at>Megan Bowen</at>",
  "<https://evil.example>",
  "&lt;b&gt; &amp;",
  'quote " and apostrophe \' and back\\slash',
  "line\nbreak\r\nand\ttab",
  "Zoë Ångström – 東京 🚀🔥",
] as const;

export function failedArtifact(index: number, overrides: Partial<FailedArtifact> = {}): FailedArtifact {
  return {
    id: `artifact-${index}`,
    name: `Site ${index}`,
    webUrl: `https://contoso.sharepoint.com/sites/site${index}`,
    errorCode: "ArtifactCannotBeRestored",
    errorMessage: "The artifact is in an unexpected state such as preservation lock.",
    restorePointDateTime: "2026-07-13T02:00:00Z",
    destinationType: "new",
    ...overrides,
  };
}

export interface AlertOptions {
  readonly sessionId?: string;
  readonly workload?: Workload;
  readonly status?: RestoreSessionStatus;
  readonly kind?: Alert["kind"];
  readonly failed?: readonly FailedArtifact[];
  readonly omittedCount?: number;
  readonly detail?: FailureDetail;
  readonly session?: Partial<RestoreSession>;
  readonly recordedAt?: string;
  readonly runId?: string;
}

export function makeAlert(options: AlertOptions = {}): Alert {
  const status = options.status ?? "failed";
  const failed = options.failed ?? [failedArtifact(1), failedArtifact(2), failedArtifact(3)];
  const sessionId = options.sessionId ?? "0f3a8c2e-5b1d-4c7a-9e6f-2d8b4a1c7e90";
  const kind = options.kind ?? "status";
  return {
    id: kind === "stuck" ? `${sessionId}_stuck` : `${sessionId}_${status}`,
    tenantId: "7e1a0c5d-3b1f-4f63-9d2a-0c6f5e8b4a11",
    kind,
    status,
    session: {
      id: sessionId,
      workload: options.workload ?? "sharePoint",
      status,
      createdBy: "Megan Bowen",
      createdDateTime: "2026-07-14T09:15:00Z",
      ...(kind !== "stuck" && { completedDateTime: "2026-07-14T11:02:33.1234567Z" }),
      lastModifiedDateTime: "2026-07-14T11:02:33Z",
      artifactCount: { total: 5, completed: 5 - failed.length, inProgress: 0, failed: failed.length },
      ...options.session,
    },
    detail: options.detail ?? { available: true, failedArtifacts: failed, omittedCount: options.omittedCount ?? 0 },
    recordedAt: options.recordedAt ?? "2026-07-14T11:05:00Z",
    runId: options.runId ?? "run-1",
  };
}

/** A digest of n sessions: mostly failed, every tenth completed with errors. */
export function makeDigest(count: number, failedPerSession = 3): Alert[] {
  return Array.from({ length: count }, (_, index) => {
    const sessionId = `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`;
    return makeAlert({
      sessionId,
      status: index % 10 === 9 ? "completedWithError" : "failed",
      workload: (["exchange", "sharePoint", "oneDrive"] as const)[index % 3],
      failed: Array.from({ length: failedPerSession }, (_, item) => failedArtifact(item, { id: `${sessionId}-${item}` })),
      session: { artifactCount: { total: failedPerSession + 2, completed: 2, inProgress: 0, failed: failedPerSession } },
    });
  });
}
