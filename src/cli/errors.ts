/**
 * The CLI's two failure kinds, with az's exit codes: a request or runtime failure exits 1, a usage error
 * (bad or missing arguments, as argparse reports them) exits 2. Messages must never carry a secret: they are
 * printed to stderr and end up in CI logs.
 */
export class CliError extends Error {
  override readonly name: string = "CliError";
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export class UsageError extends CliError {
  override readonly name = "UsageError";
  constructor(message: string) {
    super(message, 2);
  }
}

/** az's wording, so scripts and people that know az recognise it. */
export class NotLoggedInError extends CliError {
  override readonly name = "NotLoggedInError";
  constructor() {
    super("Please run 'kluis login' to setup account.");
  }
}

/** A failed HTTP call, already reduced to az's `(Code) message` form. */
export class RequestError extends CliError {
  override readonly name = "RequestError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`(${code}) ${message}`);
  }
}
