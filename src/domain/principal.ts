import type { PrincipalKind } from "../storage/types.js";

/** The authenticated caller of a request, as established from a verified token. */
export interface Principal {
  objectId: string;
  appId: string;
  tenantId: string;
  issuer: string;
  kind: PrincipalKind;
  /** For a managed identity: the resource id of its machine (the token's `xms_mirid`). */
  resourceId?: string;
  /** Tenant administrator: may use the management plane and the directory. */
  admin: boolean;
}
