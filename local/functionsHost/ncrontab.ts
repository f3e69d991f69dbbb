/**
 * NCRONTAB as the Functions timer trigger reads it: six fields, `second minute hour day month
 * day-of-week`, each `*`, a value, a range `a-b`, a step `*\/n` or `a-b/n`, or a comma list of those;
 * months and days may be named (JAN, MON). Times are UTC (Linux and Flex plans have no WEBSITE_TIME_ZONE).
 * Day-of-month and day-of-week must both match, as in NCrontab.
 */
export interface CronSchedule {
  readonly expression: string;
  /** The first occurrence strictly after `after`. */
  next(after: Date): Date;
}

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: "second", min: 0, max: 59 },
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] },
  { name: "day-of-week", min: 0, max: 7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
];

/** Searching further than this many years means the expression never fires (e.g. 30 February). */
const MAX_YEARS_AHEAD = 5;

export function parseNcrontab(expression: string): CronSchedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 6) {
    throw new Error(`'${expression}' is not an NCRONTAB expression: it needs six fields (second minute hour day month day-of-week), found ${parts.length}`);
  }
  const [seconds, minutes, hours, days, months, weekdays] = parts.map((part, index) => parseField(part, FIELDS[index] as FieldSpec, expression)) as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  if (weekdays.has(7)) weekdays.add(0); // 7 is Sunday too

  const next = (after: Date): Date => {
    const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
    const limit = after.getTime() + MAX_YEARS_AHEAD * 366 * 86_400_000;
    while (t.getTime() <= limit) {
      if (!months.has(t.getUTCMonth() + 1)) {
        t.setUTCMonth(t.getUTCMonth() + 1, 1);
        t.setUTCHours(0, 0, 0, 0);
      } else if (!days.has(t.getUTCDate()) || !weekdays.has(t.getUTCDay())) {
        t.setUTCDate(t.getUTCDate() + 1);
        t.setUTCHours(0, 0, 0, 0);
      } else if (!hours.has(t.getUTCHours())) {
        t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
      } else if (!minutes.has(t.getUTCMinutes())) {
        t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
      } else if (!seconds.has(t.getUTCSeconds())) {
        t.setUTCSeconds(t.getUTCSeconds() + 1, 0);
      } else {
        return t;
      }
    }
    throw new Error(`'${expression}' has no occurrence in the next ${MAX_YEARS_AHEAD} years`);
  };
  return { expression, next };
}

function parseField(text: string, spec: FieldSpec, expression: string): Set<number> {
  const values = new Set<number>();
  const fail = (why: string): never => {
    throw new Error(`'${expression}': the ${spec.name} field '${text}' ${why}`);
  };
  for (const item of text.split(",")) {
    const match = /^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d+))?$/.exec(item);
    if (!match) fail("is not *, a value, a range a-b, or a step */n");
    const [range = "", stepText] = [match?.[1], match?.[2]];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1) fail("has a step of 0");
    let low = spec.min;
    let high = spec.name === "day-of-week" ? 6 : spec.max;
    if (range !== "*") {
      const [a = "", b] = range.split("-");
      low = value(a, spec, fail);
      high = b === undefined ? (stepText === undefined ? low : high) : value(b, spec, fail);
      if (low > high) fail(`has a range that ends before it starts`);
    }
    for (let v = low; v <= high; v += step) values.add(v);
  }
  return values;
}

function value(text: string, spec: FieldSpec, fail: (why: string) => never): number {
  const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  const n = named >= 0 ? named + (spec.name === "month" ? 1 : 0) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < spec.min || n > spec.max) fail(`has '${text}', outside ${spec.min}-${spec.max}`);
  return n;
}
