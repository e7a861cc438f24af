/**
 * `kluis vm exec -- <command>`: runs a local program as if it ran on the machine, by handing it the machine's
 * metadata endpoint in the environment variables the Azure SDKs read (App Service style IDENTITY_ENDPOINT +
 * IDENTITY_HEADER, and the IMDS override), plus the server's CA for Node, Python requests and OpenSSL.
 */
import { spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { CliError } from "../errors.js";
import type { Session } from "../session.js";

interface MetadataAccess {
  metadataEndpoint?: string;
  identityEndpoint?: string;
  identityHeader?: string;
}

export function machineEnvironment(access: MetadataAccess, caFile: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (!access.metadataEndpoint || !access.identityEndpoint || !access.identityHeader) {
    throw new CliError("The server returned incomplete metadata access for the machine.");
  }
  const ca = path.resolve(caFile);
  return {
    ...base,
    AZURE_POD_IDENTITY_AUTHORITY_HOST: access.metadataEndpoint,
    IDENTITY_ENDPOINT: access.identityEndpoint,
    IDENTITY_HEADER: access.identityHeader,
    NODE_EXTRA_CA_CERTS: ca,
    REQUESTS_CA_BUNDLE: ca,
    SSL_CERT_FILE: ca,
  };
}

/** Runs the command and resolves to the exit code to leave with: the child's, or 128 + signal number as shells do. */
export async function execOnMachine(session: Session, vmPath: string, apiVersion: string, command: string[]): Promise<number> {
  const [program, ...args] = command;
  if (program === undefined) throw new CliError("No command given: kluis vm exec --name VM --resource-group RG -- <command> [args...]");
  const access = await session.arm<MetadataAccess>("POST", `${vmPath}/listMetadataAccess`, apiVersion);
  const env = machineEnvironment(access, session.location.caFile);
  // The server connection is no longer needed; the child may run for hours.
  session.close();
  return new Promise<number>((resolve, reject) => {
    const child = spawn(program, args, { stdio: "inherit", env });
    // Ctrl-C reaches the child through the terminal's process group; we only wait for it to finish.
    const ignore = (): void => {};
    const forwardTerm = (): void => void child.kill("SIGTERM");
    process.on("SIGINT", ignore);
    process.on("SIGTERM", forwardTerm);
    const cleanup = (): void => {
      process.off("SIGINT", ignore);
      process.off("SIGTERM", forwardTerm);
    };
    child.on("error", (error: NodeJS.ErrnoException) => {
      cleanup();
      // 127 and 126 are what a shell exits with for "not found" and "cannot execute".
      if (error.code === "ENOENT") reject(new CliError(`Command not found: ${program}`, 127));
      else reject(new CliError(`Cannot run ${program}: ${error.code ?? error.message}`, 126));
    });
    child.on("exit", (code, signal) => {
      cleanup();
      resolve(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0));
    });
  });
}
