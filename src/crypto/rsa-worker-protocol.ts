/**
 * The messages between rsa-private-pool.ts and its workers (rsa-private-worker.ts). A job names its key by a number
 * the pool gives each KeyObject; the first job of a key on a worker also carries the key as PKCS#8 DER, which the
 * worker imports into a KeyObject of its own and keeps (bounded, idle-expiring). A worker that no longer has the key
 * answers `missing`, and the pool sends the job again with the DER.
 *
 * Why its own copy: a KeyObject cloned through postMessage shares OpenSSL's key with the thread that made it, and a
 * private operation on a shared RSA key from another thread takes OpenSSL's shared-blinding path under a lock — on
 * the 2-core development VM ~400–460 µs of CPU per RSA-2048 operation against ~330 µs with the worker's own key
 * (inline on the event loop: ~300 µs).
 */
export interface WorkerJob {
  id: number;
  keyId: number;
  /** PKCS#8 DER of the key, on the first job of this key for this worker (or after `missing`). */
  der?: Uint8Array;
  input: Uint8Array;
  oaepHash?: "sha1" | "sha256";
}

export type WorkerReply = { id: number; output: Uint8Array | null } | { id: number; missing: true };

/** How many keys a worker keeps, and how long an unused one stays (as the event loop's prepared-key cache). */
export interface WorkerKeyLimits {
  maxKeys: number;
  idleMs: number;
}
