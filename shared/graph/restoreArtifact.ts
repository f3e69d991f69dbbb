import type { ArtifactKind, FailedArtifact } from "../domain/alert";
import type { KnownWorkload } from "../domain/restoreSession";
import { MAX_ARTIFACT_TEXT_CHARS, boundText } from "../domain/textBounds";
import { isObject, type JsonObject } from "./jsonFields";
import { LenientReader } from "./lenientFields";
import { errorOf } from "./restoreSession";

/** One item of an artifact list: its status, and what an alert would say of it if it failed. */
export interface ListedArtifact {
  /** artifactRestoreStatus (`failed`, `succeeded`, ...), undefined when Graph gave none. */
  readonly status: string | undefined;
  readonly artifact: FailedArtifact;
}

/** Which list the item came from: the session's workload, standard (and bulk) or granular. */
export interface ArtifactListKind {
  readonly workload: KnownWorkload;
  readonly granular: boolean;
}

const KIND_OF_WORKLOAD: Readonly<Record<KnownWorkload, ArtifactKind>> = { exchange: "mailbox", oneDrive: "drive", sharePoint: "site" };

/** The @odata.type each list may carry (the lists are homogeneous and usually omit it), lower-cased. */
const EXPECTED_TYPES: Readonly<Record<KnownWorkload, readonly [standard: string, granular: string]>> = {
  exchange: ["#microsoft.graph.mailboxrestoreartifact", "#microsoft.graph.granularmailboxrestoreartifact"],
  sharePoint: ["#microsoft.graph.siterestoreartifact", "#microsoft.graph.granularsiterestoreartifact"],
  oneDrive: ["#microsoft.graph.driverestoreartifact", "#microsoft.graph.granulardriverestoreartifact"],
};

/** Shown for an artifact Graph listed without an id (it is still counted and shown). */
export const MISSING_ARTIFACT_ID = "(no id)";

/**
 * Reads one item of an artifact list. Never throws and never skips: whatever cannot be read is left
 * out (shown as unknown), an @odata.type restorewatch does not know is kept as `unknownType`.
 * Mailbox and drive owners are named by the expanded protection unit when Graph gives the names
 * (application callers get null: the directory look-up fills them in later); sites by the unit's
 * name and URL, else, for an in-place restore, by the restored site (which is the same site).
 */
export function parseRestoreArtifact(item: unknown, list: ArtifactListKind): ListedArtifact {
  if (!isObject(item)) return { status: undefined, artifact: { id: MISSING_ARTIFACT_ID, kind: "unknown", unknownType: "(not an object)" } };
  const read = new LenientReader();
  const odataType = read.text(item, "@odata.type");
  const known = !odataType || EXPECTED_TYPES[list.workload].includes(odataType.toLowerCase());
  const baseOfGranular = list.granular && list.workload !== "exchange";
  const own = baseOfGranular ? granularItemFields(read, item) : standardFields(read, item, list.workload);
  const id = read.text(item, "id");
  const error = errorOf(read, read.object(item, "error"), "error");
  const destinationType = read.text(item, "destinationType");
  const artifact: FailedArtifact = {
    id: id ? bounded(id, "id") : MISSING_ARTIFACT_ID,
    kind: known ? KIND_OF_WORKLOAD[list.workload] : "unknown",
    ...(!known && odataType && { unknownType: bounded(odataType, "type") }),
    ...own,
    ...(error?.code && { errorCode: bounded(error.code, "code") }),
    ...(error?.message && { errorMessage: bounded(error.message, "message") }),
    ...(destinationType && { destinationType: bounded(destinationType, "code") }),
  };
  return { status: read.text(item, "status"), artifact };
}

type OwnFields = Partial<Pick<FailedArtifact, "name" | "address" | "objectId" | "siteId" | "webUrl" | "itemPath" | "restoredTo" | "restoredToUrl" | "restorePointDateTime">>;

/** mailbox/site/driveRestoreArtifact (and granularMailboxRestoreArtifact, which derives from the mailbox one). */
function standardFields(read: LenientReader, item: JsonObject, workload: KnownWorkload): OwnFields {
  const restorePoint = read.object(item, "restorePoint");
  const unit = unitFields(read, read.object(restorePoint, "protectionUnit", "restorePoint"));
  const inPlace = read.text(item, "destinationType") === "inPlace";
  const restoredName = read.text(item, workload === "exchange" ? "restoredFolderName" : "restoredSiteName");
  const restoredUrl = httpsUrl(read.text(item, "restoredSiteWebUrl"));
  // In place, the restored site is the failed one: its name and URL stand in when the unit gave none.
  const sameSite = inPlace && workload !== "exchange";
  const name = unit.name ?? (sameSite ? restoredName : undefined);
  const webUrl = unit.webUrl ?? (sameSite ? restoredUrl : undefined);
  const protectedAt = read.time(restorePoint, "protectionDateTime", "restorePoint");
  return {
    ...unit,
    ...(name && { name: bounded(name, "name") }),
    ...(webUrl && { webUrl }),
    ...(!inPlace && restoredName && { restoredTo: bounded(restoredName, "name") }),
    ...(!inPlace && restoredUrl && { restoredToUrl: restoredUrl }),
    ...(protectedAt && { restorePointDateTime: protectedAt }),
  };
}

/** granularDriveRestoreArtifact / granularSiteRestoreArtifact: their own base type, with no restore point. */
function granularItemFields(read: LenientReader, item: JsonObject): OwnFields {
  const objectId = read.text(item, "directoryObjectId");
  const siteId = read.text(item, "siteId");
  const itemPath = read.text(item, "restoredItemPath");
  const webUrl = httpsUrl(read.text(item, "webUrl"));
  const restoredToUrl = httpsUrl(read.text(item, "restoredItemWebUrl"));
  const restorePointDateTime = read.time(item, "restorePointDateTime");
  return {
    ...(objectId && { objectId: bounded(objectId, "id") }),
    ...(siteId && { siteId: bounded(siteId, "id") }),
    ...(itemPath && { itemPath: bounded(itemPath, "path") }),
    ...(webUrl && { webUrl }),
    ...(restoredToUrl && { restoredToUrl }),
    ...(restorePointDateTime && { restorePointDateTime }),
  };
}

/**
 * The protection unit, whatever its type: mailbox and drive units carry the owner's
 * directoryObjectId (displayName and email are null for application callers), site units the siteId,
 * siteName and siteWebUrl.
 */
function unitFields(read: LenientReader, unit: JsonObject | undefined): OwnFields {
  if (!unit) return {};
  const path = "restorePoint.protectionUnit";
  const objectId = read.text(unit, "directoryObjectId", path);
  const siteId = read.text(unit, "siteId", path);
  const name = read.text(unit, "displayName", path) || read.text(unit, "siteName", path);
  const address = read.text(unit, "email", path);
  const webUrl = httpsUrl(read.text(unit, "siteWebUrl", path));
  return {
    ...(objectId && { objectId: bounded(objectId, "id") }),
    ...(siteId && { siteId: bounded(siteId, "id") }),
    ...(name && { name: bounded(name, "name") }),
    ...(address && { address: bounded(address, "address") }),
    ...(webUrl && { webUrl }),
  };
}

function bounded(value: string, bound: keyof typeof MAX_ARTIFACT_TEXT_CHARS): string {
  return boundText(value, MAX_ARTIFACT_TEXT_CHARS[bound]);
}

/** Characters no URL Graph gives has, and that would break out of a link or a line: spaces, controls, markup, lone surrogates. */
const NOT_IN_URL = /[\s\u0000-\u001f\u007f<>"\\^`{|}]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * A URL an alert may show: https with a host, nothing that could break out of a link or a line,
 * within the length browsers and mail clients keep. Anything else would be a link to nowhere, or to
 * somewhere worse.
 */
export function httpsUrl(value: string | undefined): string | undefined {
  if (value === undefined || value.length > MAX_ARTIFACT_TEXT_CHARS.url || !/^https:\/\/[^/?#]/i.test(value) || NOT_IN_URL.test(value)) return undefined;
  return URL.canParse(value) ? value : undefined;
}
