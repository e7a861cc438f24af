/** One table from error code to HTTP status, and the renderers for the two wire styles. */
import { DomainError, OAuthError, ThrottledError, type ErrorCode } from "../domain/errors.js";
import { StoreError } from "../storage/types.js";
import type { Reply } from "./types.js";

const STATUS: Record<ErrorCode, number> = {
  BadParameter: 400,
  BadRequest: 400,
  Request_BadRequest: 400,
  InvalidResourceGroup: 400,
  InvalidResourceName: 400,
  VaultNameNotValid: 400,
  MissingApiVersionParameter: 400,
  InvalidApiVersionParameter: 400,
  NoRegisteredProviderFound: 400,
  InvalidRequestContent: 400,
  Unauthorized: 401,
  AuthenticationFailed: 401,
  InvalidAuthenticationToken: 401,
  InvalidAuthenticationTokenAudience: 401,
  InvalidAuthenticationTokenTenant: 401,
  ExpiredAuthenticationToken: 401,
  Forbidden: 403,
  AuthorizationFailed: 403,
  RoleAssignmentExists: 409,
  RoleAssignmentNotFound: 404,
  RoleAssignmentUpdateNotPermitted: 409,
  RoleDefinitionDoesNotExist: 400,
  InvalidRoleAssignmentId: 400,
  PrincipalNotFound: 400,
  NotFound: 404,
  SecretNotFound: 404,
  KeyNotFound: 404,
  CertificateNotFound: 404,
  PendingCertificateNotFound: 404,
  CertificateIssuerNotFound: 404,
  ContactsNotFound: 404,
  VaultNotFound: 404,
  ResourceNotFound: 404,
  ResourceGroupNotFound: 404,
  SubscriptionNotFound: 404,
  MethodNotAllowed: 405,
  Conflict: 409,
  ConflictError: 409,
  InvalidOperation: 409,
  VaultAlreadyExists: 409,
  RequestTooLarge: 413,
  Throttled: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
};

/** Key Vault and ARM share this body: {"error":{"code","message","innererror"?}}. */
export function azureErrorReply(error: DomainError): Reply {
  const body: { error: { code: string; message: string; innererror?: { code: string } } } = {
    error: { code: error.code, message: error.message },
  };
  if (error.inner) body.error.innererror = { code: error.inner };
  const headers: Record<string, string> = {};
  if (error.code === "ServiceUnavailable") headers["retry-after"] = "1";
  if (error instanceof ThrottledError) headers["retry-after"] = String(error.retryAfterSeconds);
  return { status: STATUS[error.code], body, headers };
}

export function oauthErrorReply(error: OAuthError): Reply {
  const now = new Date();
  return {
    status: error.status,
    ...(error.retryAfterSeconds === undefined ? {} : { headers: { "retry-after": String(error.retryAfterSeconds) } }),
    body: {
      error: error.error,
      error_description: error.description,
      error_codes: error.errorCodes,
      timestamp: now.toISOString().replace(/\.\d+Z$/, "Z"),
      trace_id: crypto.randomUUID(),
      correlation_id: crypto.randomUUID(),
    },
  };
}

/** Anything thrown that is not one of ours becomes a DomainError; unexpected errors never leak their text. */
export function toDomainError(error: unknown): DomainError | OAuthError {
  if (error instanceof DomainError || error instanceof OAuthError) return error;
  if (error instanceof StoreError) {
    return error.kind === "unavailable"
      ? new DomainError("ServiceUnavailable", "The service is temporarily unavailable. Retry the request later.")
      : new DomainError("Conflict", "The request conflicts with the current state of the resource.");
  }
  return new DomainError("InternalError", "An unexpected error occurred while processing the request.");
}
