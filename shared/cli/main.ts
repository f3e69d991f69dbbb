#!/usr/bin/env node
import type { Env } from "../config/config";
import { errorMessage } from "../domain/errors";
import { commandHelp, parseCommandArgs, wantsHelp, type CliCommand, type CliIo } from "./commands/command";
import { ackCommand } from "./commands/ack";
import { grantGraphPermissionCommand } from "./commands/grantGraphPermission";
import { pollCommand } from "./commands/poll";
import { retryCommand } from "./commands/retry";
import { silenceCommand } from "./commands/silence";
import { statusCommand } from "./commands/status";
import { testAlertCommand } from "./commands/testAlert";
import { tenantAddCommand } from "./commands/tenantAdd";
import { tenantListCommand } from "./commands/tenantList";
import { tenantPauseCommand } from "./commands/tenantPause";
import { tenantRemoveCommand } from "./commands/tenantRemove";
import { tenantResumeCommand } from "./commands/tenantResume";
import { tenantVerifyCommand } from "./commands/tenantVerify";
import { routeAddCommand } from "./commands/routeAdd";
import { routeListCommand } from "./commands/routeList";
import { routeRemoveCommand } from "./commands/routeRemove";
import { routeTestCommand } from "./commands/routeTest";
import { EXIT, UsageError, exitCodeFor } from "./commands/exitCodes";
import { loadCliEnvironment } from "./localSettings";

export type { CliIo } from "./commands/command";

/** Every command, in the order `restorewatch help` lists them. */
export const COMMANDS: readonly CliCommand[] = [
  pollCommand,
  statusCommand,
  retryCommand,
  ackCommand,
  silenceCommand,
  testAlertCommand,
  grantGraphPermissionCommand,
  tenantAddCommand,
  tenantListCommand,
  tenantVerifyCommand,
  tenantPauseCommand,
  tenantResumeCommand,
  tenantRemoveCommand,
  routeAddCommand,
  routeListCommand,
  routeRemoveCommand,
  routeTestCommand,
];

/**
 * The command an argument list names, and the arguments left for it. A command may be two words
 * (`tenant add`): given as two arguments, or as one ("tenant add", as tests and `help` pass it).
 */
function findCommand(argv: readonly string[]): { command: CliCommand; args: readonly string[] } | undefined {
  const [first, second, ...rest] = argv;
  const two = COMMANDS.find((c) => second !== undefined && c.name === `${first} ${second}`);
  if (two) return { command: two, args: rest };
  const one = COMMANDS.find((c) => c.name === first);
  return one ? { command: one, args: argv.slice(1) } : undefined;
}

/** A group's commands (`restorewatch tenant`): what to type instead. */
function groupUsage(group: string | undefined): string | undefined {
  const members = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
  return members.length === 0 ? undefined : `'${group}' needs a command: ${members.map((c) => `restorewatch ${c.usage}`).join("; ")}`;
}

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `restorewatch: alerts for failed Microsoft 365 Backup restores

Usage: restorewatch <command> [options]   (restorewatch <command> --help for its options and settings)

${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

Settings come from the environment and, when present, local.settings.json "Values"; each command
reads only the settings it uses.
Exit codes: 0 ok, 1 failure, 2 configuration error, 3 authentication/permission failure, 4 Graph unreachable, 64 usage.`;
}

/** Runs one CLI command; returns the process exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [verb, ...args] = argv;
  try {
    if (verb === undefined || verb === "help" || verb === "--help" || verb === "-h") {
      const topic = verb === "help" ? findCommand(args.length === 1 ? (args[0] ?? "").split(" ") : args)?.command : undefined;
      io.out(topic ? commandHelp(topic) : usage());
      return verb === undefined ? EXIT.usage : EXIT.ok;
    }
    const found = findCommand(verb.includes(" ") ? [...verb.split(" "), ...args] : argv);
    if (!found) {
      const group = groupUsage(verb);
      if (group && wantsHelp(args)) {
        io.out(group);
        return EXIT.ok;
      }
      throw new UsageError(group ?? `unknown command '${verb}' (try: restorewatch help)`);
    }
    const { command, args: commandArgs } = found;
    if (wantsHelp(commandArgs)) {
      io.out(commandHelp(command));
      return EXIT.ok;
    }
    return await command.run(parseCommandArgs(command, commandArgs), io);
  } catch (error) {
    io.err(`restorewatch: ${errorMessage(error)}`);
    return exitCodeFor(error);
  }
}

if (require.main === module) {
  let env: Env;
  try {
    env = loadCliEnvironment(process.cwd(), process.env);
  } catch (error) {
    console.error(`restorewatch: ${errorMessage(error)}`);
    process.exit(exitCodeFor(error));
  }
  void runCli(process.argv.slice(2), { out: (line) => console.log(line), err: (line) => console.error(line), env, processEnv: process.env }).then((code) => {
    process.exitCode = code;
  });
}
