/**
 * The glue between commander and a command's handler: az's global options on every command, early validation
 * of --output and --query (so that a typo fails before anything is changed on the server), a lazily opened
 * session, and the output stage. Handlers return the result object; this prints it.
 */
import { Command } from "commander";
import jmespath from "jmespath";
import { UsageError } from "./errors.js";
import { parseOutputFormat, renderResult } from "./output.js";
import { Session, type GlobalOptions } from "./session.js";

export function addGlobalOptions(command: Command): Command {
  return command
    .option("-o, --output <format>", "output format: json, jsonc, table, tsv, none", "json")
    .option("--query <jmespath>", "JMESPath query string, applied to the result before output")
    .option("--data-dir <dir>", "the server's data directory (env KLUIS_DATA_DIR, default ./.kluis)")
    .option("--port <port>", "the server's HTTPS port (env KLUIS_PORT, default 8443)")
    .option("--debug", "log each request's method, URL and status to stderr");
}

/** A leaf command; onAction adds the global options after the command's own, so that help lists those first. */
export function leafCommand(parent: Command, name: string, description: string): Command {
  return parent.command(name).description(description);
}

export class ActionContext {
  private opened: Session | undefined;

  constructor(
    readonly globals: GlobalOptions,
    /** The command's positional arguments, as commander processed them. */
    readonly args: unknown[],
  ) {}

  /** The logged-in session; throws az's "Please run 'kluis login'" when there is none. */
  session(): Session {
    this.opened ??= Session.open(this.globals);
    return this.opened;
  }

  close(): void {
    this.opened?.close();
  }
}

export type Handler<O> = (options: O & GlobalOptions, context: ActionContext) => Promise<unknown>;

/** Attaches `handler` to `command`; whatever the handler returns is printed per --output and --query. */
export function onAction<O>(command: Command, handler: Handler<O>): Command {
  return addGlobalOptions(command).action(async (...args: unknown[]) => {
    const self = args[args.length - 1] as Command;
    const options = self.opts<O & GlobalOptions>();
    parseOutputFormat(options.output);
    validateQuery(options.query);
    const context = new ActionContext(options, self.processedArgs);
    try {
      const result = await handler(options, context);
      process.stdout.write(renderResult(result, options, process.stdout.isTTY === true));
    } finally {
      context.close();
    }
  });
}

function validateQuery(query: string | undefined): void {
  if (query === undefined) return;
  try {
    // compile exists at runtime but is missing from @types/jmespath.
    (jmespath as unknown as { compile(expression: string): unknown }).compile(query);
  } catch (error) {
    throw new UsageError(`argument --query: invalid jmespath_type value: '${query}' (${(error as Error).message})`);
  }
}
