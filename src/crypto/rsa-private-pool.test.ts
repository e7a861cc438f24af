/** The RSA worker pool: outputs equal the inline ones, a full worker leaves the job to the event loop, 0 runs inline. */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { test } from "node:test";
import { runRsaPrivateJob, type RsaPrivateJob } from "./rsa-private-job.js";
import { RsaPrivatePool } from "./rsa-private-pool.js";

const key = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;

function jobs(count: number): RsaPrivateJob[] {
  return Array.from({ length: count }, (_, i) => {
    const input = Buffer.alloc(256, i + 1);
    input[0] = 0; // below the modulus
    return { key, input };
  });
}

test("one worker: 20 jobs at once all match inline, two go to the worker, the rest run on the event loop", { timeout: 20_000 }, async () => {
  const pool = new RsaPrivatePool({ size: 1 });
  try {
    const batch = jobs(20);
    const outputs = await Promise.all(batch.map((job) => pool.run(job)));
    outputs.forEach((output, i) => assert.deepEqual(output, runRsaPrivateJob(batch[i]!), `job ${i}`));
    const stats = pool.stats();
    assert.equal(stats.ranInline, 20 - 2, "two posted to the worker, the rest inline");
    assert.equal(stats.posted, 0);
  } finally {
    await pool.close();
  }
});

test("a failing job answers undefined, from a worker as inline", { timeout: 20_000 }, async () => {
  const pool = new RsaPrivatePool({ size: 1 });
  try {
    const tooLarge = { key, input: Buffer.alloc(256, 0xff) }; // ≥ n: OpenSSL refuses
    assert.equal(runRsaPrivateJob(tooLarge), undefined);
    assert.equal(await pool.run(tooLarge), undefined);
  } finally {
    await pool.close();
  }
});

test("size 0: every job runs inline", { timeout: 20_000 }, async () => {
  const pool = new RsaPrivatePool({ size: 0 });
  const batch = jobs(5);
  const outputs = await Promise.all(batch.map((job) => pool.run(job)));
  outputs.forEach((output, i) => assert.deepEqual(output, runRsaPrivateJob(batch[i]!)));
  assert.equal(pool.stats().ranInline, 5);
  await pool.close();
});

test("workers keep their own copies of keys within bounds; a dropped key is sent again", { timeout: 30_000 }, async () => {
  const keys = Array.from({ length: 3 }, () => crypto.generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey);
  const input = Buffer.alloc(256, 7);
  input[0] = 0;
  for (const keyLimits of [{ maxKeys: 2, idleMs: 60_000 }, { maxKeys: 0, idleMs: 60_000 }, { maxKeys: 8, idleMs: 1 }]) {
    const pool = new RsaPrivatePool({ size: 1, keyLimits });
    try {
      // Round after round over three keys with room for two (or none, or each idle at once): every output is right.
      for (let round = 0; round < 4; round++) {
        for (const key of keys) {
          assert.deepEqual(await pool.run({ key, input }), runRsaPrivateJob({ key, input }), `limits ${JSON.stringify(keyLimits)}, round ${round}`);
          if (keyLimits.idleMs === 1) await new Promise((r) => setTimeout(r, 1100)); // past the worker's idle sweep
        }
        if (keyLimits.idleMs === 1 && round === 1) break;
      }
      assert.equal(pool.stats().ranInline, 0, "all on the worker");
    } finally {
      await pool.close();
    }
  }
});
