/**
 * `kluis vm exec -- <command>`: runs a local program as if it ran on the machine, by handing it the machine's
 * metadata endpoint in the environment variables the Azure SDKs read (App Service style IDENTITY_ENDPOINT +
 * IDENTITY_HEADER, and the IMDS override), plus the server's CA for Node, and a bundle of the system roots with the
 * server's CA for Python requests and OpenSSL.
 */
import { spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { cliConfigDir } from "../../config/config.js";
import { ensureCaBundle } from "../ca-bundle.js";
import { CliError } from "../errors.js";
import type { Session } from "../session.js";

interface MetadataAccess {
  metadataEndpoint?: string;
  identityEndpoint?: string;
  identityHeader?: string;
}

/**
 * `caFile` is the Kluis CA alone, for Node (NODE_EXTRA_CA_CERTS adds to its roots); `bundleFile` is the system roots
 * plus the Kluis CA, for Python requests and OpenSSL, which use the file given *instead of* their roots.
 */
export function machineEnvironment(access: MetadataAccess, caFile: string, bundleFile: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (!access.metadataEndpoint || !access.identityEndpoint || !access.identityHeader) {
    throw new CliError("The server returned incomplete metadata access for the machine.");
  }
  const ca = path.resolve(caFile);
  const bundle = path.resolve(bundleFile);
  return {
    ...base,
    AZURE_POD_IDENTITY_AUTHORITY_HOST: access.metadataEndpoint,
    IDENTITY_ENDPOINT: access.identityEndpoint,
    IDENTITY_HEADER: access.identityHeader,
    NODE_EXTRA_CA_CERTS: ca,
    REQUESTS_CA_BUNDLE: bundle,
    SSL_CERT_FILE: bundle,
  };
}

function caBundle(caFile: string): string {
  try {
    return ensureCaBundle(caFile, cliConfigDir());
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new CliError(`Cannot write the CA bundle for the command (system roots plus ${caFile}): ${reason}`);
  }
}

/** Runs the command and resolves to the exit code to leave with: the child's, or 128 + signal number as shells do. */
export async function execOnMachine(session: Session, vmPath: string, apiVersion: string, command: string[]): Promise<number> {
  const [program, ...args] = command;
  if (program === undefined) throw new CliError("No command given: kluis vm exec --name VM --resource-group RG -- <command> [args...]");
  const access = await session.arm<MetadataAccess>("POST", `${vmPath}/listMetadataAccess`, apiVersion);
  const env = machineEnvironment(access, session.location.caFile, caBundle(session.location.caFile));
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
