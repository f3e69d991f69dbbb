// ---------------------------------------------------------------------------------------------
// Skiptokens: opaque base64 of a small JSON state, validated on the way back.
// ---------------------------------------------------------------------------------------------

export type PageState = { kind: "sessions"; from: number; end: number } | { kind: "artifacts"; session: string; offset: number };

export function encodeSkipToken(state: PageState): string {
  return Buffer.from(JSON.stringify(state), "utf8").toString("base64");
}

export function decodeSkipToken(token: string): PageState | undefined {
  try {
    const value = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as Partial<Record<string, unknown>>;
    if (value["kind"] === "sessions" && Number.isInteger(value["from"]) && Number.isInteger(value["end"])) return value as PageState;
    if (value["kind"] === "artifacts" && typeof value["session"] === "string" && Number.isInteger(value["offset"])) return value as PageState;
  } catch {
    // fall through: not our token
  }
  return undefined;
}
