#!/usr/bin/env node
/**
 * Entry point of the `kluis` command. Errors are printed az-style (`ERROR: …` on stderr) with az's exit codes;
 * a stack trace is shown only with --debug, and no error message ever includes a secret.
 */
import { CommanderError } from "commander";
import { CliError } from "./errors.js";
import { buildProgram } from "./program.js";

const HELP_CODES = new Set(["commander.helpDisplayed", "commander.help", "commander.version"]);

async function main(argv: string[]): Promise<void> {
  const debug = argv.includes("--debug");
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its message (or the help) to the right stream.
      process.exitCode = HELP_CODES.has(error.code) ? 0 : 2;
      return;
    }
    if (error instanceof CliError) {
      process.stderr.write(`ERROR: ${error.message}\n`);
      process.exitCode = error.exitCode;
    } else {
      process.stderr.write(`ERROR: ${(error as Error).message ?? String(error)}\n`);
      process.exitCode = 1;
    }
    if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  }
}

await main(process.argv);
