/** The one check every token issuance path makes on the resource asked for, with Entra's error when it's unknown. */
import { OAuthError } from "../../domain/errors.js";
import type { AppServices } from "../app-services.js";

export function assertKnownResource(app: AppServices, resource: string): void {
  if (app.endpoints.resources.has(resource)) return;
  throw new OAuthError(
    400,
    "invalid_resource",
    `AADSTS500011: The resource principal named ${resource} was not found in the tenant named ${app.authority.tenantId}. ` +
      "This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. " +
      "You might have sent your authentication request to the wrong tenant.",
    [500011],
  );
}
