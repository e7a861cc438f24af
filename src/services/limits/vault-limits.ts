/**
 * Key Vault's documented per-vault service limits (`kluis server --limits azure`), so that applications can test
 * their retry behaviour against the answers Azure gives: 429, Retry-After and `{"error":{"code":"Throttled",…}}`.
 *
 * The numbers are Azure's "maximum transactions allowed in 10 seconds, per vault per region"
 * (learn.microsoft.com/azure/key-vault/general/service-limits). Counted per node: several nodes behind one name
 * allow several times the limit, as several Azure regions do.
 */
import { ThrottledError } from "../../domain/errors.js";
import { retryAfterSeconds, WindowCounters } from "./window-counters.js";

/** Azure's transaction classes of a vault; each has its own budget. */
export type TransactionClass = "create" | "keyCreate" | "keys" | "other";

/** Per 10 seconds per vault, for software-protected keys (Kluis keys are software keys). */
export const AZURE_VAULT_LIMITS: Readonly<Record<TransactionClass, number>> = {
  // "CREATE secret, IMPORT certificate, IMPORT key: 300 (collectively across all three operations)".
  create: 300,
  // Software key CREATE key: 20, whatever the key type.
  keyCreate: 20,
  // Software key "all other transactions": 4,000 for RSA 2,048 and every EC curve. Larger RSA keys cost more
  // (3,072: 1,000; 4,096: 500); Azure enforces on the weighted sum. Kluis counts every key transaction at weight 1
  // because the limit is checked before the key is read (documented in docs/security.md).
  keys: 4000,
  // "All other transactions" of secrets, certificates and the vault: 4,000.
  other: 4000,
};

export const AZURE_WINDOW_SECONDS = 10;

/** One entry per vault and class: 4 × the vaults a node serves; bounded all the same. */
const MAX_KEYS = 40_000;

const CREATE_OPERATIONS = new Set(["SetSecret", "ImportKey", "ImportCertificate"]);
const KEY_CREATE_OPERATIONS = new Set(["CreateKey", "RotateKey"]);

/** Which of Azure's budgets a data-plane operation draws on. */
export function transactionClass(operation: string, path: string): TransactionClass {
  if (CREATE_OPERATIONS.has(operation)) return "create";
  if (KEY_CREATE_OPERATIONS.has(operation)) return "keyCreate";
  if (/^\/(keys|deletedkeys)(\/|$)/i.test(path)) return "keys";
  return "other";
}

export interface VaultLimitsOptions {
  /** Multiplies every limit (at least 1 is allowed); for tests that need a tiny limit. Default 1. */
  scale?: number;
  windowSeconds?: number;
}

export class VaultLimits {
  private readonly counters: WindowCounters;
  private readonly limits: Record<TransactionClass, number>;
  /** Called once for every request answered 429 (metrics). */
  onThrottled: (cls: TransactionClass) => void = () => undefined;

  constructor(options: VaultLimitsOptions = {}) {
    const scale = options.scale ?? 1;
    this.counters = new WindowCounters((options.windowSeconds ?? AZURE_WINDOW_SECONDS) * 1000, MAX_KEYS);
    this.limits = Object.fromEntries(
      Object.entries(AZURE_VAULT_LIMITS).map(([cls, limit]) => [cls, Math.max(1, Math.floor(limit * scale))]),
    ) as Record<TransactionClass, number>;
  }

  /** Counts one transaction against the vault, or throws Key Vault's 429 when its class's budget is spent. */
  take(vault: string, operation: string, path: string): void {
    const cls = transactionClass(operation, path);
    const result = this.counters.tryTake(`${vault}\n${cls}`, 1, this.limits[cls]);
    if (result.ok) return;
    this.onThrottled(cls);
    // Azure's wording, as its Key Vault answers a throttled request.
    throw new ThrottledError(
      "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached",
      retryAfterSeconds(result.resetInMs),
    );
  }
}
