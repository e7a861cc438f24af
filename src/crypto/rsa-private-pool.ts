/**
 * A small pool of worker threads for RSA private-key jobs (rsa-private-job.ts). An RSA-2048 signature takes
 * ~0.3 ms of CPU; on the event loop alone the server signs on one core however many it has. With the pool the
 * event loop and the workers sign side by side.
 *
 * Sharing, not queueing: each worker has at most PER_WORKER jobs posted (two, so that it starts its next job without
 * waiting for the event loop to hand it one); a job that finds every worker full runs inline, on the event loop.
 * A queue would make that job wait while the event loop — itself a core — had time to do it, and handing a job to a
 * thread costs CPU too (a cross-thread wake-up, ~0.1 ms on the 2-core development VM: with a queue in front of two
 * workers a vault RS256 signature took ~760 µs of server CPU, sharing with one ~550–600 µs). Running the overflow
 * inline also bounds everything by construction and pushes back on clients under overload (the event loop slows
 * down) without failing any request.
 *
 * Private material: each worker keeps its own copy of the keys it signs with (rsa-worker-protocol.ts says why),
 * sent once as PKCS#8 DER, at most `keyLimits.maxKeys` and for `keyLimits.idleMs` unused — the bounds of the event
 * loop's prepared-key cache — and zeroed buffers after import; workers never log. A worker that dies fails its jobs
 * (the caller answers 500) and is replaced.
 */
import type { KeyObject } from "node:crypto";
import { Worker } from "node:worker_threads";
import { runRsaPrivateJob, type RsaPrivateJob } from "./rsa-private-job.js";
import type { WorkerJob, WorkerKeyLimits, WorkerReply } from "./rsa-worker-protocol.js";

export interface RsaPoolOptions {
  /** Worker threads beside the event loop; 0 runs every job inline. */
  size: number;
  /** Keys each worker keeps (default 256, idle 30 s: the prepared-key cache's defaults). */
  keyLimits?: WorkerKeyLimits;
}

export interface RsaPoolStats {
  workers: number;
  posted: number;
  /** Jobs run inline since start because every worker was full (or the pool has no workers). */
  ranInline: number;
}

const PER_WORKER = 2;

interface Pending {
  job: RsaPrivateJob;
  resolve(output: Buffer | undefined): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  inFlight: Map<number, Pending & { keyId: number }>;
  /** Keys this worker was sent, as far as the pool knows (the worker may have dropped some: it says `missing`). */
  sent: Set<number>;
}

/**
 * In the build the worker is the compiled .js beside this file. Under tsx (unit tests) it is the .ts source, which
 * a worker can load only after registering tsx's loader itself (the parent's `--import tsx` does not reach it).
 */
function newWorker(limits: WorkerKeyLimits): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./rsa-private-worker.js", import.meta.url), { workerData: limits });
  const source = JSON.stringify(new URL("./rsa-private-worker.ts", import.meta.url).href);
  return new Worker(`import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${source}); });`, { eval: true, workerData: limits });
}

export class RsaPrivatePool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private ranInline = 0;
  private closed = false;
  /** A number per KeyObject, for workers to find their copy by; gone with the KeyObject. */
  private readonly keyIds = new WeakMap<KeyObject, number>();
  private nextKeyId = 1;
  private readonly keyLimits: WorkerKeyLimits;

  constructor(options: RsaPoolOptions) {
    this.keyLimits = options.keyLimits ?? { maxKeys: 256, idleMs: 30_000 };
    for (let i = 0; i < options.size; i++) this.slots.push(this.spawn());
  }

  /** The job's output, from a worker or inline; `undefined` when the operation failed. */
  run(job: RsaPrivateJob): Promise<Buffer | undefined> {
    if (this.slots.length === 0 || this.closed) return this.inline(job);
    const slot = this.leastBusy();
    if (slot.inFlight.size >= PER_WORKER) return this.inline(job);
    return new Promise((resolve, reject) => this.post(slot, { job, resolve, reject }));
  }

  stats(): RsaPoolStats {
    let posted = 0;
    for (const slot of this.slots) posted += slot.inFlight.size;
    return { workers: this.slots.length, posted, ranInline: this.ranInline };
  }

  /** Stops the workers; jobs still on a worker fail, later jobs run inline. */
  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    for (const slot of slots) this.fail(slot, new Error("RSA worker pool closed"));
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private inline(job: RsaPrivateJob): Promise<Buffer | undefined> {
    this.ranInline++;
    return Promise.resolve(runRsaPrivateJob(job));
  }

  private leastBusy(): Slot {
    let best = this.slots[0]!;
    for (const slot of this.slots) if (slot.inFlight.size < best.inFlight.size) best = slot;
    return best;
  }

  private post(slot: Slot, pending: Pending): void {
    const id = this.nextId++;
    const { job } = pending;
    let keyId = this.keyIds.get(job.key);
    if (keyId === undefined) {
      keyId = this.nextKeyId++;
      this.keyIds.set(job.key, keyId);
    }
    slot.inFlight.set(id, { ...pending, keyId });
    const message: WorkerJob = { id, keyId, input: job.input, ...(job.oaepHash ? { oaepHash: job.oaepHash } : {}) };
    if (!slot.sent.has(keyId)) {
      if (this.keyLimits.maxKeys > 0) slot.sent.add(keyId);
      // The worker keeps at most maxKeys: forget the oldest sent ones beyond that (at worst it answers `missing`).
      if (slot.sent.size > this.keyLimits.maxKeys) slot.sent.delete(slot.sent.values().next().value!);
      message.der = job.key.export({ format: "der", type: "pkcs8" });
    }
    slot.worker.postMessage(message);
    message.der?.fill(0); // postMessage copied it
  }

  private spawn(): Slot {
    const worker = newWorker(this.keyLimits);
    // Idle workers must not keep a stopping process alive; close() ends them on an orderly shutdown.
    worker.unref();
    const slot: Slot = { worker, inFlight: new Map(), sent: new Set() };
    worker.on("message", (reply: WorkerReply) => {
      const pending = slot.inFlight.get(reply.id);
      if (!pending) return;
      slot.inFlight.delete(reply.id);
      if ("missing" in reply) {
        // The worker dropped the key (idle or over its bound): send the job again, with the key.
        slot.sent.delete(pending.keyId);
        this.post(slot, pending);
        return;
      }
      const { output } = reply;
      pending.resolve(output === null ? undefined : Buffer.from(output.buffer, output.byteOffset, output.byteLength));
    });
    const replace = (error: Error) => {
      this.fail(slot, error);
      const index = this.slots.indexOf(slot);
      if (index >= 0 && !this.closed) this.slots[index] = this.spawn();
    };
    worker.on("error", (error) => replace(error));
    worker.on("exit", (code) => replace(new Error(`RSA worker exited (${code})`)));
    return slot;
  }

  private fail(slot: Slot, error: Error): void {
    for (const pending of slot.inFlight.values()) pending.reject(error);
    slot.inFlight.clear();
  }
}
