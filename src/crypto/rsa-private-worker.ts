/**
 * Worker thread of rsa-private-pool.ts: runs RSA private-key jobs with keys it imported itself
 * (rsa-worker-protocol.ts says why), kept at most `maxKeys` and dropped after `idleMs` unused. Nothing is logged.
 */
import crypto, { type KeyObject } from "node:crypto";
import { parentPort, workerData } from "node:worker_threads";
import { runRsaPrivateJob } from "./rsa-private-job.js";
import type { WorkerJob, WorkerKeyLimits, WorkerReply } from "./rsa-worker-protocol.js";

const limits = workerData as WorkerKeyLimits;
/** In use order, oldest first: a used key is moved to the end. */
const keys = new Map<number, { key: KeyObject; usedAt: number }>();

function keyFor(job: WorkerJob): KeyObject | undefined {
  if (job.der) {
    const key = crypto.createPrivateKey({ key: Buffer.from(job.der.buffer, job.der.byteOffset, job.der.byteLength), format: "der", type: "pkcs8" });
    job.der.fill(0);
    if (limits.maxKeys === 0) return key; // no cache: the key lives for this job only
    keys.set(job.keyId, { key, usedAt: Date.now() });
    while (keys.size > limits.maxKeys) keys.delete(keys.keys().next().value!);
  }
  const entry = keys.get(job.keyId);
  if (!entry) return undefined;
  keys.delete(job.keyId);
  entry.usedAt = Date.now();
  keys.set(job.keyId, entry);
  return entry.key;
}

parentPort?.on("message", (job: WorkerJob) => {
  const key = keyFor(job);
  const reply: WorkerReply = key
    ? { id: job.id, output: runRsaPrivateJob({ key, input: Buffer.from(job.input.buffer, job.input.byteOffset, job.input.byteLength), ...(job.oaepHash ? { oaepHash: job.oaepHash } : {}) }) ?? null }
    : { id: job.id, missing: true };
  parentPort?.postMessage(reply);
});

// Keys nobody used for idleMs go, as they do from the event loop's cache.
setInterval(() => {
  const cutoff = Date.now() - limits.idleMs;
  for (const [id, entry] of keys) if (entry.usedAt < cutoff) keys.delete(id);
}, Math.max(1000, Math.min(limits.idleMs, 30_000))).unref();
