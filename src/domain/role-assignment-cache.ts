/**
 * Role assignments are read on every authorized request, so they are kept in memory: the whole (small) set,
 * reloaded when this node changes it (`invalidate()`) and at most TTL_MS after another node did. A cross-node
 * notification can call `invalidate()` too; nothing else needs to change for it.
 */
import { estimateBytes, type CacheLimits } from "../cache/bounded-cache.js";
import type { RoleAssignmentRecord, RoleAssignmentStore } from "../storage/types.js";
import type { RoleAssignmentSource } from "./authz.js";

const TTL_MS = 1000;
/**
 * The set is cached whole or not at all (evicting part of it would make principals look unassigned). Azure allows
 * 4,000 assignments per subscription; a set beyond these bounds is read for each request instead of being kept.
 */
export const ROLE_ASSIGNMENT_CACHE: CacheLimits = { name: "role-assignments", maxEntries: 20_000, maxBytes: 32 * 1024 * 1024 };

export class RoleAssignmentCache implements RoleAssignmentSource {
  private byPrincipal: Map<string, RoleAssignmentRecord[]> | null = null;
  private loadedAt = 0;
  private loading: Promise<Map<string, RoleAssignmentRecord[]>> | null = null;
  /** Bumped by invalidate(): a load that started before it must not be kept as current. */
  private generation = 0;

  constructor(
    private readonly store: RoleAssignmentStore,
    private readonly now: () => number = Date.now,
  ) {}

  async forPrincipal(objectId: string): Promise<RoleAssignmentRecord[]> {
    const fresh = this.byPrincipal !== null && this.now() - this.loadedAt < TTL_MS;
    const map = fresh ? this.byPrincipal! : await this.load();
    return map.get(objectId.toLowerCase()) ?? [];
  }

  invalidate(): void {
    this.generation++;
    this.byPrincipal = null;
    this.loading = null;
  }

  private load(): Promise<Map<string, RoleAssignmentRecord[]>> {
    if (this.loading) return this.loading;
    const generation = this.generation;
    const startedAt = this.now();
    const loading = this.store.list().then(
      (all) => {
        const map = new Map<string, RoleAssignmentRecord[]>();
        for (const a of all) {
          const key = a.principalId.toLowerCase();
          const list = map.get(key);
          if (list) list.push(a);
          else map.set(key, [a]);
        }
        if (generation === this.generation && fitsBounds(all)) {
          this.byPrincipal = map;
          this.loadedAt = startedAt;
        }
        if (this.loading === loading) this.loading = null;
        return map;
      },
      (error: unknown) => {
        if (this.loading === loading) this.loading = null;
        throw error;
      },
    );
    this.loading = loading;
    return loading;
  }
}

function fitsBounds(all: RoleAssignmentRecord[]): boolean {
  if (all.length > ROLE_ASSIGNMENT_CACHE.maxEntries) return false;
  let bytes = 0;
  for (const a of all) bytes += estimateBytes(a);
  return bytes <= ROLE_ASSIGNMENT_CACHE.maxBytes;
}
