import type { ArtifactKind, FailedArtifact } from "../domain/alert";
import type { Workload } from "../domain/restoreSession";
import { singleLine, truncate } from "./summary";

/** Longest text a renderer shows per part of a failed item, in characters. */
export interface ArtifactTextLimits {
  readonly name: number;
  readonly id: number;
  readonly url: number;
  readonly path: number;
}

/**
 * What one failed item is, as lines of text every renderer shows in this order: who or what failed
 * (a name first), then its address, item, URL, where it was restored to, its type if unknown, and
 * its ids. Lines are single-line and cut to the renderer's limits; escaping is the renderer's job.
 */
export interface ArtifactLines {
  readonly title: string;
  readonly details: readonly string[];
}

/** The artifact's values as shown: single-line, cut, and an empty value counted as absent. */
interface Shown {
  readonly id: string;
  readonly name?: string;
  readonly address?: string;
  readonly objectId?: string;
  readonly siteId?: string;
  readonly webUrl?: string;
  readonly itemPath?: string;
  readonly restoredTo?: string;
  readonly restoredToUrl?: string;
  readonly unknownType?: string;
  readonly destinationType?: string;
}

/** Kinds an item is shown as; `undefined` for an old alert of an unknown session type (an "item"). */
type ShownKind = ArtifactKind | undefined;

const NOUNS: Readonly<Record<Exclude<ArtifactKind, "unknown">, string>> = { mailbox: "Mailbox", drive: "OneDrive", site: "Site" };
/** Alerts recorded before names were read have no kind: their session's workload says what they were. */
const KIND_OF_WORKLOAD: Readonly<Record<Workload, ShownKind>> = { exchange: "mailbox", sharePoint: "site", oneDrive: "drive", unknown: undefined };

/** Text of a value for display, or undefined when there is none to show. */
export function shownText(value: string | undefined, max: number): string | undefined {
  if (value === undefined) return undefined;
  const line = singleLine(value);
  return line === "" ? undefined : truncate(line, max);
}

function shownFields(artifact: FailedArtifact, limits: ArtifactTextLimits): Shown {
  const pick = (value: string | undefined, max: number): string | undefined => shownText(value, max);
  return {
    id: pick(artifact.id, limits.id) ?? "(no id)",
    name: pick(artifact.name, limits.name),
    address: pick(artifact.address, limits.name),
    objectId: pick(artifact.objectId, limits.id),
    siteId: pick(artifact.siteId, limits.id),
    webUrl: pick(artifact.webUrl, limits.url),
    itemPath: pick(artifact.itemPath, limits.path),
    restoredTo: pick(artifact.restoredTo, limits.name),
    restoredToUrl: pick(artifact.restoredToUrl, limits.url),
    unknownType: pick(artifact.unknownType, limits.id),
    destinationType: pick(artifact.destinationType, limits.id),
  };
}

/** What the item is shown as: of an unknown type when Graph named one, else its kind, else its workload's. */
function kindOf(artifact: FailedArtifact, shown: Shown, workload: Workload): ShownKind {
  if (shown.unknownType !== undefined) return "unknown";
  return artifact.kind ?? KIND_OF_WORKLOAD[workload];
}

/** Which identifying value the title already shows, so the details do not repeat it. */
type TitleSource = "name" | "address" | "objectId" | "webUrl" | "siteId" | "id";

function titleOf(kind: ShownKind, shown: Shown): { title: string; source: TitleSource } {
  if (shown.name !== undefined) return { title: shown.name, source: "name" };
  if (kind === "unknown") return { title: `Item of unknown type${shown.unknownType ? ` ${shown.unknownType}` : ""}`, source: "name" };
  if (kind === "mailbox" || kind === "drive") {
    if (shown.address !== undefined) return { title: `${NOUNS[kind]} of ${shown.address}`, source: "address" };
    if (shown.objectId !== undefined) return { title: `${NOUNS[kind]} of user ${shown.objectId}`, source: "objectId" };
  }
  if (kind === "site") {
    // A granular item's webUrl is the item's, not the site's.
    if (shown.webUrl !== undefined && shown.itemPath === undefined) return { title: shown.webUrl, source: "webUrl" };
    if (shown.siteId !== undefined) return { title: `Site ${shown.siteId}`, source: "siteId" };
  }
  return { title: kind === undefined ? shown.id : `${NOUNS[kind]} (artifact id ${shown.id})`, source: "id" };
}

function restoredToLine(shown: Shown): string | undefined {
  if (shown.restoredTo === undefined && shown.restoredToUrl === undefined) return undefined;
  const where = [shown.restoredTo, shown.destinationType && `(${shown.destinationType})`, shown.restoredToUrl].filter(Boolean).join(" ");
  return `restored to: ${where}`;
}

function idsLine(shown: Shown, source: TitleSource): string | undefined {
  const ids = [
    shown.objectId !== undefined && source !== "objectId" && `object id ${shown.objectId}`,
    shown.siteId !== undefined && source !== "siteId" && `site id ${shown.siteId}`,
    source !== "id" && `artifact id ${shown.id}`,
  ].filter((id): id is string => typeof id === "string");
  return ids.length > 0 ? ids.join(" · ") : undefined;
}

/** The lines of one failed item (see ArtifactLines). */
export function artifactLines(artifact: FailedArtifact, workload: Workload, limits: ArtifactTextLimits): ArtifactLines {
  const shown = shownFields(artifact, limits);
  const kind = kindOf(artifact, shown, workload);
  const { title, source } = titleOf(kind, shown);
  const granular = shown.itemPath !== undefined;
  const details = [
    source === "address" ? undefined : shown.address,
    granular ? `item: ${shown.itemPath}` : undefined,
    source === "webUrl" ? undefined : shown.webUrl,
    restoredToLine(shown),
    kind === "unknown" && source === "name" && shown.name !== undefined ? `item of unknown type${shown.unknownType ? ` ${shown.unknownType}` : ""}` : undefined,
    idsLine(shown, source),
  ];
  return { title, details: details.filter((line): line is string => line !== undefined) };
}

const BY_NAME = new Intl.Collator("en", { sensitivity: "accent", numeric: true });
/** Sort keys are cut (a name may be thousands of characters): names alike in their first 500 sort by id. */
const SORT_KEY_CHARS = 500;

/**
 * Failed items in the order every renderer lists them: by name (case-insensitive, locale-aware),
 * then those without a name by their id (the owner's object id, else the site id, else the artifact id).
 */
export function sortedArtifacts(artifacts: readonly FailedArtifact[]): FailedArtifact[] {
  const keyed = artifacts.map((artifact) => ({
    artifact,
    name: shownText(artifact.name, SORT_KEY_CHARS),
    id: shownText(artifact.objectId, SORT_KEY_CHARS) ?? shownText(artifact.siteId, SORT_KEY_CHARS) ?? shownText(artifact.id, SORT_KEY_CHARS) ?? "",
  }));
  keyed.sort((a, b) => {
    if (a.name !== undefined && b.name !== undefined) return BY_NAME.compare(a.name, b.name) || BY_NAME.compare(a.id, b.id);
    if (a.name !== undefined || b.name !== undefined) return a.name !== undefined ? -1 : 1;
    return BY_NAME.compare(a.id, b.id) || compareCodeUnits(a.artifact.id, b.artifact.id);
  });
  return keyed.map((entry) => entry.artifact);
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
