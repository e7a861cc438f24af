/**
 * Role assignments are read on every authorized request, so they are kept in memory: the whole (small) set,
 * reloaded when this node changes it (`invalidate()`) and at most TTL_MS after another node did. A cross-node
 * notification can call `invalidate()` too; nothing else needs to change for it.
 */
import type { RoleAssignmentRecord, RoleAssignmentStore } from "../storage/types.js";
import type { RoleAssignmentSource } from "./authz.js";

const TTL_MS = 1000;

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
          map.set(key, [...(map.get(key) ?? []), a]);
        }
        if (generation === this.generation) {
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
