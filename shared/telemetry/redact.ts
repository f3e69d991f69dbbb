/**
 * What may leave the process in a telemetry record. Records carry our own words (ids, counts, bounded
 * error texts), but error texts quote the far side, so every string is scrubbed again here: query
 * strings of URLs (a Teams webhook's `sig`, SAS tokens), bearer tokens and anything shaped like a JWT.
 */
const URL_QUERY = /(https?:\/\/[^\s?#"'<>]+)\?[^\s"'<>]*/gi;
const BEARER = /\b(Bearer|SharedAccessSignature|accesskey=)\s*[A-Za-z0-9._~+/=%-]{8,}/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const SIG = /\b(sig|signature|code|access_token)=[^\s&"'<>]+/gi;

/** Longest dimension value sent (Application Insights keeps 8192 characters per property). */
export const MAX_DIMENSION_CHARS = 1024;

export function scrubText(text: string, maxChars = MAX_DIMENSION_CHARS): string {
  const scrubbed = text
    .replace(URL_QUERY, "$1?<redacted>")
    .replace(JWT, "<redacted-token>")
    .replace(BEARER, "$1 <redacted>")
    .replace(SIG, "$1=<redacted>");
  return scrubbed.length > maxChars ? `${scrubbed.slice(0, maxChars - 1)}…` : scrubbed;
}

/** A URL as a dependency's `data`: scheme, host and path, never the query or fragment (nor user info). */
export function urlWithoutQuery(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}
