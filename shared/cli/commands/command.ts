import { parseArgs, type ParseArgsConfig } from "node:util";
import type { TokenCredential } from "@azure/core-auth";
import type { Env } from "../../config/config";
import { errorMessage } from "../../domain/errors";
import type { Logger } from "../../domain/logger";
import { UsageError } from "./exitCodes";

export interface CliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: Env;
  /**
   * The process's own environment, without local.settings.json: the only place the emulator opt-in
   * (RESTOREWATCH_EMULATOR_ORIGINS) is read from. Absent: none.
   */
  readonly processEnv?: Env;
  /** Injected in tests: used wherever a command would sign in (the app's identity or the operator's). */
  readonly credential?: TokenCredential;
  readonly now?: () => Date;
}

type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;

export interface ParsedArgs {
  readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  readonly positionals: readonly string[];
}

/** One `restorewatch <name>` command: its usage, its help, and what it runs. */
export interface CliCommand {
  readonly name: string;
  /** The command line, e.g. `retry <alertId>`. */
  readonly usage: string;
  /** One line for the command list. */
  readonly summary: string;
  /** What `--help` prints after the usage: what it does, its options and the settings it needs. */
  readonly help: string;
  readonly options: OptionsConfig;
  /** Exactly this many positional arguments (default 0). */
  readonly positionals?: number;
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}

/** Parses a command's arguments: `--name value` and `--name=value` alike; anything unexpected is a UsageError. */
export function parseCommandArgs(command: CliCommand, args: readonly string[]): ParsedArgs {
  const expected = command.positionals ?? 0;
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs({ args: [...args], options: command.options, allowPositionals: expected > 0, strict: true });
  } catch (error) {
    throw new UsageError(`${errorMessage(error).replace(/\. To specify a positional argument.*$/, "")} (usage: restorewatch ${command.usage})`);
  }
  if (parsed.positionals.length !== expected) {
    throw new UsageError(`expected ${expected} argument${expected === 1 ? "" : "s"}, got ${parsed.positionals.length} (usage: restorewatch ${command.usage})`);
  }
  return parsed;
}

export function wantsHelp(args: readonly string[]): boolean {
  return args.includes("--help") || args.includes("-h");
}

export function commandHelp(command: CliCommand): string {
  return `usage: restorewatch ${command.usage}\n\n${command.help}`;
}

/** Run logs of a command: information on stdout, warnings and errors on stderr. */
export function cliLogger(io: CliIo): Logger {
  return { info: io.out, warn: (m) => io.err(`warning: ${m}`), error: (m) => io.err(`error: ${m}`) };
}
