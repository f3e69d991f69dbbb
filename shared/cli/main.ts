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
import { EXIT, UsageError, exitCodeFor } from "./commands/exitCodes";
import { loadCliEnvironment } from "./localSettings";

export type { CliIo } from "./commands/command";

/** Every command, in the order `restorewatch help` lists them. */
export const COMMANDS: readonly CliCommand[] = [pollCommand, statusCommand, retryCommand, ackCommand, silenceCommand, testAlertCommand, grantGraphPermissionCommand];

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
      const topic = verb === "help" ? COMMANDS.find((c) => c.name === args[0]) : undefined;
      io.out(topic ? commandHelp(topic) : usage());
      return verb === undefined ? EXIT.usage : EXIT.ok;
    }
    const command = COMMANDS.find((c) => c.name === verb);
    if (!command) throw new UsageError(`unknown command '${verb}' (try: restorewatch help)`);
    if (wantsHelp(args)) {
      io.out(commandHelp(command));
      return EXIT.ok;
    }
    return await command.run(parseCommandArgs(command, args), io);
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
