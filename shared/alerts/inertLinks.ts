/**
 * Text from Graph (a folder name, an error message) can hold what looks like a link, and Outlook and
 * Teams turn `https://...` and `www....` in plain text into clickable links: an alert from the real
 * sender would then carry someone else's link. In the HTML email and the Teams card such text is
 * defanged, as security teams write indicators: `https[:]//evil.example/login`, `www[.]evil.example`.
 * Readable, copyable with one edit, never clicked by accident. The plain-text body stays as Graph sent it.
 * Every `://` and `www.` is defanged, wherever it stands: `0https://` or `xwww.` must not stay live
 * because the scheme does not start a word.
 */
export function inertLinks(text: string): string {
  return text.replace(/:\/\//g, "[:]//").replace(/(www)\./gi, "$1[.]");
}
