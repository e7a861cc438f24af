/**
 * Request bodies checked against the schema their route declares (TypeBox → JSON Schema, compiled once by ajv),
 * before any handler runs: a body of the wrong shape gets its surface's 400 and never reaches the domain, so
 * `[null]` where an object belongs can not turn into a TypeError and a 500. The domain still applies the rules
 * that need state (a name already taken, a location that must match).
 */
import type { TSchema } from "@sinclair/typebox";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { DomainError } from "../domain/errors.js";
import { readJsonObject, type BodyStyle } from "./body.js";
import type { RequestContext } from "./types.js";

export interface BodySchema {
  style: BodyStyle;
  /** The resource the body describes, as the surface names it in messages (Graph: 'Application'). */
  resource: string;
  schema: TSchema;
}

// Route schemas are module constants, so this holds one compiled validator per route: bounded by the route tables.
const compiled = new WeakMap<TSchema, ValidateFunction>();
const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });

function validatorFor(schema: TSchema): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/** Reads the body as a JSON object and checks it against `body.schema`; throws the surface's 400 on the first fault. */
export async function checkBody(ctx: RequestContext, body: BodySchema): Promise<Record<string, unknown>> {
  const input = await readJsonObject(ctx, body.style);
  const validate = validatorFor(body.schema);
  if (validate(input)) return input;
  throw bodyFault(body, validate.errors?.[0]);
}

/** `properties.accessPolicies[0].tenantId`, as ARM's deserializer names a path; JSON pointer segments otherwise. */
function pathOf(error: ErrorObject): string {
  const segments = error.instancePath.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (error.keyword === "required") segments.push(String(error.params.missingProperty));
  if (error.keyword === "additionalProperties") segments.push(String(error.params.additionalProperty));
  return segments.reduce((path, s) => (/^\d+$/.test(s) ? `${path}[${s}]` : path ? `${path}.${s}` : s), "");
}

function describe(error: ErrorObject): string {
  // A fault in a key of the object at the path (propertyNames), not in a value below it.
  if (error.propertyName !== undefined) return `has a property name that ${describeValue(error)}`;
  return describeValue(error);
}

function describeValue(error: ErrorObject): string {
  switch (error.keyword) {
    case "required":
      return "is required";
    case "type":
      return `must be of type ${String(error.params.type)}`;
    case "maxLength":
      return `must be at most ${String(error.params.limit)} characters long`;
    case "minLength":
      return `must be at least ${String(error.params.limit)} characters long`;
    case "maxProperties":
      return `may have at most ${String(error.params.limit)} entries`;
    case "maxItems":
      return `may have at most ${String(error.params.limit)} items`;
    case "enum":
      return `must be one of ${(error.params.allowedValues as unknown[]).map(String).join(", ")}`;
    default:
      return "is not valid";
  }
}

function bodyFault(body: BodySchema, error: ErrorObject | undefined): DomainError {
  const path = error ? pathOf(error) : "";
  const what = error ? describe(error) : "is not valid";
  switch (body.style) {
    case "arm":
      // ARM answers a body its deserializer can not map with InvalidRequestContent, naming the JSON path.
      return new DomainError(
        "InvalidRequestContent",
        `The request content was invalid and could not be deserialized: 'The value at path '${path || "$"}' ${what}.'`,
      );
    case "graph":
      return new DomainError("Request_BadRequest", `Invalid value specified for property '${path.split(/[.[]/)[0] || "body"}' of resource '${body.resource}'.`);
    case "keyvault":
      return new DomainError("BadParameter", `The parameter '${path || "body"}' ${what}.`);
  }
}
