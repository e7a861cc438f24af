/** Everything a handler may use, built once by the composition root (server/start.ts). */
import type { ServerConfig } from "../config/config.js";
import type { Directory } from "../domain/directory.js";
import type { GroupService } from "../domain/groups.js";
import type { Keyring } from "../domain/keyring.js";
import type { MachineService } from "../domain/machines.js";
import type { ReplayGuard } from "../domain/replay-guard.js";
import type { SecretService } from "../domain/secrets.js";
import type { VaultService } from "../domain/vaults.js";
import type { Store } from "../storage/types.js";
import type { Endpoints } from "./endpoints.js";
import type { Authority } from "./identity/authority.js";

export interface AppServices {
  config: ServerConfig;
  endpoints: Endpoints;
  tenant: { tenantId: string; subscriptionId: string };
  store: Store;
  keyring: Keyring;
  authority: Authority;
  directory: Directory;
  groups: GroupService;
  vaults: VaultService;
  machines: MachineService;
  secrets: SecretService;
  replayGuard: ReplayGuard;
}
