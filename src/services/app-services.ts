/** Everything a handler may use, built once by the composition root (server/start.ts). */
import type { ServerConfig } from "../config/config.js";
import type { Authorizer } from "../domain/authz.js";
import type { ChangeFeed } from "../domain/change-feed.js";
import type { DeletedVaultService } from "../domain/deleted-vaults.js";
import type { Directory } from "../domain/directory.js";
import type { GroupService } from "../domain/groups.js";
import type { CertificateBackups } from "../domain/certificates/certificate-backup.js";
import type { CertificateService } from "../domain/certificates/certificate-service.js";
import type { CertificateIssuers } from "../domain/certificates/issuers-and-contacts.js";
import type { IssuingCas } from "../domain/certificates/issuing-ca.js";
import type { PendingOperations } from "../domain/certificates/pending-operations.js";
import type { KeyBackups } from "../domain/keys/key-backup.js";
import type { KeyService } from "../domain/keys/key-service.js";
import type { Keyring } from "../domain/keyring.js";
import type { KeyOperationService } from "../domain/keys/key-operation-service.js";
import type { KeyRotationService } from "../domain/keys/key-rotation-service.js";
import type { MachineService } from "../domain/machines.js";
import type { ReplayGuard } from "../domain/replay-guard.js";
import type { RoleAssignmentService } from "../domain/role-assignments.js";
import type { SecretBackups } from "../domain/secret-backup.js";
import type { SecretService } from "../domain/secrets.js";
import type { VaultService } from "../domain/vaults.js";
import type { Store } from "../storage/types.js";
import type { Endpoints } from "./endpoints.js";
import type { Authority } from "./identity/authority.js";
import type { SignInFailures } from "./limits/sign-in-failures.js";
import type { VaultLimits } from "./limits/vault-limits.js";

export interface AppServices {
  config: ServerConfig;
  endpoints: Endpoints;
  tenant: { tenantId: string; subscriptionId: string };
  store: Store;
  /** Cross-node cache invalidation: caches subscribe (see domain/change-feed.ts `invalidateOn`). */
  changes: ChangeFeed;
  keyring: Keyring;
  authority: Authority;
  directory: Directory;
  groups: GroupService;
  vaults: VaultService;
  machines: MachineService;
  secrets: SecretService;
  secretBackups: SecretBackups;
  keys: KeyService;
  keyBackups: KeyBackups;
  deletedVaults: DeletedVaultService;
  /** Cryptographic operations and random bytes on vault keys. */
  keyOperations: KeyOperationService;
  /** Rotation policies and automatic rotation. */
  keyRotation: KeyRotationService;
  certificates: CertificateService;
  /** Pending certificate operations (create's 202, merge, cancel). */
  certificateOperations: PendingOperations;
  certificateBackups: CertificateBackups;
  /** Certificate issuers and contacts. */
  certificateIssuers: CertificateIssuers;
  /** Kluis's per-tenant issuing CAs (the built-in `Kluis` issuer). */
  issuingCas: IssuingCas;
  replayGuard: ReplayGuard;
  /** Decides every request's permission (the pipeline calls it); role assignments cached inside. */
  authorizer: Authorizer;
  /** Role assignments and role definitions (Microsoft.Authorization). */
  roles: RoleAssignmentService;
  /** Set once the server is shutting down: /readyz then answers 503 so balancers stop sending traffic. */
  lifecycle: { readonly draining: boolean };
  /** Failed client authentications, limited per client and per source address (always on). */
  signInFailures: SignInFailures;
  /** Key Vault's per-vault service limits, when the server runs with `--limits azure`. */
  vaultLimits?: VaultLimits;
}
