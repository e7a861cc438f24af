/**
 * The one error model of the domain. Services throw DomainError; the HTTP edge maps `code` to a status through
 * one table (http/errors.ts) and renders the body in the wire style of the surface that failed.
 */
export type ErrorCode =
  | "BadParameter"
  | "BadRequest"
  /** Graph: a property of the body has an invalid value. */
  | "Request_BadRequest"
  | "Unauthorized"
  | "Forbidden"
  | "NotFound"
  | "SecretNotFound"
  | "KeyNotFound"
  | "CertificateNotFound"
  /** Key Vault: no pending operation (or issuer, or contacts) of that name. */
  | "PendingCertificateNotFound"
  | "CertificateIssuerNotFound"
  | "ContactsNotFound"
  | "VaultNotFound"
  | "ResourceNotFound"
  | "ResourceGroupNotFound"
  | "SubscriptionNotFound"
  | "MethodNotAllowed"
  | "Conflict"
  /** ARM: the name is held by a soft-deleted vault that must be recovered or purged first. */
  | "ConflictError"
  /** ARM: an operation the resource's state forbids, e.g. purging a purge-protected deleted vault. */
  | "InvalidOperation"
  | "VaultNameNotValid"
  | "VaultAlreadyExists"
  | "InvalidResourceGroup"
  | "InvalidResourceName"
  | "MissingApiVersionParameter"
  | "InvalidApiVersionParameter"
  /** ARM: a provider's resource type does not serve the requested api-version. */
  | "NoRegisteredProviderFound"
  | "InvalidRequestContent"
  | "AuthenticationFailed"
  | "InvalidAuthenticationToken"
  | "InvalidAuthenticationTokenAudience"
  /** ARM: a token from another issuer than the subscription's tenant. */
  | "InvalidAuthenticationTokenTenant"
  | "ExpiredAuthenticationToken"
  | "AuthorizationFailed"
  | "RoleAssignmentExists"
  | "RoleAssignmentNotFound"
  | "RoleAssignmentUpdateNotPermitted"
  | "RoleDefinitionDoesNotExist"
  | "InvalidRoleAssignmentId"
  | "PrincipalNotFound"
  | "RequestTooLarge"
  | "ServiceUnavailable"
  /** Key Vault: a service limit was reached (429 with Retry-After). */
  | "Throttled"
  | "InternalError";

export class DomainError extends Error {
  override readonly name = "DomainError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly inner?: string,
  ) {
    super(message);
  }
}

/** A request refused by a rate limit: 429, with the seconds the client should wait in Retry-After. */
export class ThrottledError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super("Throttled", message);
  }
}

/** Errors of the OAuth-shaped endpoints (token, IMDS), rendered as `{error, error_description}`. */
export class OAuthError extends Error {
  override readonly name = "OAuthError";
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly errorCodes: number[] = [],
    /** Set on a 429: how long the client should wait (Retry-After). */
    readonly retryAfterSeconds?: number,
  ) {
    super(description);
  }
}
