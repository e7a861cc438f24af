/**
 * Seals and opens values with data keys kept in storage, wrapped under the root key. Unwrapped data keys are cached
 * in memory (bounded); the root key never leaves this object.
 */
import { BoundedCache } from "../cache/bounded-cache.js";
import { newKey, open, seal, sealedKeyId, unwrapDataKey, wrapDataKey } from "../crypto/envelope.js";
import type { DataKeyStore } from "../storage/types.js";

export class Keyring {
  /** Unwrapped data keys by id; one evicted is unwrapped again from storage when next needed. */
  private readonly keys = new BoundedCache<number, Buffer>({ name: "data-keys", maxEntries: 1_000, maxBytes: 1024 * 1024 });
  private current: { id: number; key: Buffer } | undefined;

  constructor(
    private readonly store: DataKeyStore,
    private readonly rootKey: Buffer,
  ) {}

  async seal(plaintext: Buffer | string, context: string): Promise<Buffer> {
    const { id, key } = await this.active();
    return seal(key, id, typeof plaintext === "string" ? Buffer.from(plaintext, "utf8") : plaintext, context);
  }

  async open(blob: Buffer, context: string): Promise<Buffer> {
    return open(await this.key(sealedKeyId(blob)), blob, context);
  }

  async openString(blob: Buffer, context: string): Promise<string> {
    return (await this.open(blob, context)).toString("utf8");
  }

  private async active(): Promise<{ id: number; key: Buffer }> {
    if (this.current) return this.current;
    // Several nodes may race to create the first data key; each then uses the newest, and all stay readable.
    const record = (await this.store.latest()) ?? (await this.store.insert(wrapDataKey(this.rootKey, newKey()), Date.now()));
    this.current = { id: record.id, key: await this.key(record.id) };
    return this.current;
  }

  private async key(id: number): Promise<Buffer> {
    const cached = this.keys.get(id);
    if (cached) return cached;
    const record = await this.store.get(id);
    if (!record) throw new Error(`data key ${id} is missing`);
    const key = unwrapDataKey(this.rootKey, record.wrapped);
    this.keys.set(id, key);
    return key;
  }
}
