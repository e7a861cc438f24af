/**
 * az's confirmation for destructive commands: `--yes` skips it; without a terminal there is nobody to ask, so
 * the command fails instead of hanging or deleting silently.
 */
import readline from "node:readline/promises";
import { CliError } from "../errors.js";

export async function confirmOrFail(yes: boolean | undefined, question = "Are you sure you want to perform this operation?"): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY) throw new CliError("Unable to prompt for confirmation as no tty available. Use --yes.");
  const prompt = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await prompt.question(`${question} (y/n): `)).trim().toLowerCase();
    if (answer !== "y" && answer !== "yes") throw new CliError("Operation cancelled.");
  } finally {
    prompt.close();
  }
}
