/**
 * Automatic key rotation: every `intervalMs` this node asks the rotation service to claim and rotate the keys whose
 * policy has fallen due. Runs on every node; the claim in storage makes each rotation happen on exactly one.
 * Ticks never overlap, and a failed tick is logged (without key material) and retried on the next.
 */
import type { KeyRotationService } from "../domain/keys/key-rotation-service.js";

export interface KeyRotationJob {
  stop(): Promise<void>;
}

export function startKeyRotationJob(rotation: KeyRotationService, intervalMs: number): KeyRotationJob {
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running) return;
    running = rotation
      .rotateDue()
      .then((rotated) => {
        if (rotated > 0) console.log(JSON.stringify({ level: "info", component: "key-rotation", rotated }));
      })
      .catch((error: unknown) => {
        console.error(JSON.stringify({ level: "error", component: "key-rotation", error: error instanceof Error ? error.message : "rotation failed" }));
      })
      .finally(() => (running = null));
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
