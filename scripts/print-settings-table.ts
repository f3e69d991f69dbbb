// Prints the README's settings table from the settings registry: npx tsx scripts/print-settings-table.ts
import { SETTINGS } from "../shared/config/settings";

const cell = (text: string): string => text.replace(/\|/g, "\\|");
console.log("| Setting | Meaning | Default | Example |");
console.log("|---|---|---|---|");
for (const s of SETTINGS) {
  const flags = [s.secret ? "secret" : "", s.platform ? "set by the platform" : ""].filter(Boolean).join(", ");
  console.log(`| \`${s.name}\` | ${cell(s.meaning)}${flags ? ` *(${flags})*` : ""} | ${s.defaultValue === undefined ? "—" : `\`${cell(s.defaultValue)}\``} | \`${cell(s.example)}\` |`);
}
