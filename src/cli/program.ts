/**
 * The command tree. Commander is told to throw instead of exiting so that main.ts decides every exit code:
 * 0 for help, 2 for usage errors (as argparse in az), 1 for failures.
 */
import fs from "node:fs";
import { Command } from "commander";
import { registerAccountCommands } from "./commands/account.js";
import { registerAdCommands } from "./commands/ad.js";
import { registerAuditCommands } from "./commands/audit.js";
import { registerCertificateCommands } from "./commands/certificate.js";
import { registerGroupCommands } from "./commands/group.js";
import { registerKeyCommands } from "./commands/key.js";
import { registerKeyvaultCommands } from "./commands/keyvault.js";
import { registerRoleCommands } from "./commands/role.js";
import { registerSecretCommands } from "./commands/secret.js";
import { registerServerCommand } from "./commands/server.js";
import { registerVmCommands } from "./commands/vm.js";

function packageVersion(): string {
  try {
    // src/cli and dist/cli are both two levels below the package root.
    const text = fs.readFileSync(new URL("../../package.json", import.meta.url), "utf8");
    return (JSON.parse(text) as { version?: string }).version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

export function buildProgram(): Command {
  const program = new Command("kluis")
    .description("Kluis: a self-hosted key vault that speaks Azure's protocols. Commands follow az's.")
    .version(packageVersion(), "--version")
    // `kluis --version` only before a command: after one, `--version` is the object version of `secret show`,
    // `key show` and the like (`-v, --version`), which the program-wide flag would otherwise swallow.
    .enablePositionalOptions()
    .exitOverride()
    .showSuggestionAfterError(true)
    // az's style for argument errors: "ERROR: …" rather than commander's "error: …".
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, "ERROR: ")) });
  // Subcommands inherit exitOverride and output settings only if they are set before the subcommands are added.
  registerServerCommand(program);
  registerAuditCommands(program);
  registerAccountCommands(program);
  registerGroupCommands(program);
  const keyvault = registerKeyvaultCommands(program);
  registerSecretCommands(keyvault);
  registerKeyCommands(keyvault);
  registerCertificateCommands(keyvault);
  registerAdCommands(program);
  registerRoleCommands(program);
  registerVmCommands(program);
  return program;
}
