/** Reads a request body that must be a JSON object, failing in the wire style of the surface that asked. */
import { DomainError } from "../domain/errors.js";
import type { RequestContext } from "./types.js";

export type BodyStyle = "keyvault" | "arm" | "graph";

const NOT_JSON: Record<BodyStyle, () => DomainError> = {
  keyvault: () => new DomainError("BadParameter", "The request body is not valid JSON."),
  arm: () => new DomainError("InvalidRequestContent", "The request content was invalid and could not be deserialized: the body is not valid JSON."),
  graph: () => new DomainError("BadRequest", "The request body is not valid JSON."),
};

const NOT_OBJECT: Record<BodyStyle, () => DomainError> = {
  keyvault: () => new DomainError("BadParameter", "The request body must be a JSON object."),
  arm: () => new DomainError("InvalidRequestContent", "The request content was invalid and could not be deserialized: the body must be a JSON object."),
  graph: () => new DomainError("BadRequest", "The request body must be a JSON object."),
};

/** Graph treats an empty body as `{}`; Key Vault and ARM require one. */
export async function readJsonObject(ctx: RequestContext, style: BodyStyle): Promise<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = await ctx.json();
  } catch (error) {
    if (error instanceof DomainError && error.code === "BadParameter") throw NOT_JSON[style]();
    throw error;
  }
  if (parsed === undefined && style === "graph") return {};
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw NOT_OBJECT[style]();
  return parsed as Record<string, unknown>;
}
