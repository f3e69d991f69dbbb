/**
 * Text from Graph (a folder name, an error message) can hold what looks like a link, and Outlook and
 * Teams turn `https://...` and `www....` in plain text into clickable links: an alert from the real
 * sender would then carry someone else's link. In the HTML email and the Teams card such text is
 * defanged, as security teams write indicators: `https[:]//evil.example/login`, `www[.]evil.example`.
 * Readable, copyable with one edit, never clicked by accident. The plain-text body stays as Graph sent it.
 */
export function inertLinks(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]{0,30}):\/\//gi, "$1[:]//").replace(/\bwww\./gi, "www[.]");
}
