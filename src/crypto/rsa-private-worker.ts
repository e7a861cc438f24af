/**
 * Worker thread of rsa-private-pool.ts: runs RSA private-key jobs. The KeyObject arrives cloned through
 * postMessage (it shares OpenSSL's key, not a copy of the JWK); nothing is kept or logged here.
 */
import { parentPort } from "node:worker_threads";
import { runRsaPrivateJob, type RsaPrivateJob } from "./rsa-private-job.js";

interface JobMessage {
  id: number;
  job: RsaPrivateJob;
}

parentPort?.on("message", ({ id, job }: JobMessage) => {
  parentPort?.postMessage({ id, output: runRsaPrivateJob(job) ?? null });
});
