/**
 * Times every storage call for `kluis_storage_operation_duration_seconds` without touching the backends: each
 * aggregate of the store (secrets, vaults, …) is wrapped so that its methods report how long their promise took.
 * Aggregates added later are timed too.
 */
import { recordStorageCall } from "./registry.js";

type Method = (...args: unknown[]) => unknown;

export function timedStore<T extends object>(store: T): T {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof property !== "string" || value === null || typeof value !== "object") return value;
      let aggregate = wrapped.get(property);
      if (aggregate === undefined) {
        aggregate = timedAggregate(property, value);
        wrapped.set(property, aggregate);
      }
      return aggregate;
    },
  });
}

function timedAggregate(name: string, aggregate: object): object {
  const methods = new Map<PropertyKey, Method>();
  return new Proxy(aggregate, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== "function" || typeof property !== "string") return value;
      let timed = methods.get(property);
      if (!timed) {
        const method = value as Method;
        timed = (...args: unknown[]) => {
          const started = process.hrtime.bigint();
          const result = method.apply(target, args);
          const done = () => recordStorageCall(name, property, Number(process.hrtime.bigint() - started) / 1e9);
          if (result instanceof Promise) return result.finally(done);
          done();
          return result;
        };
        methods.set(property, timed);
      }
      return timed;
    },
  });
}
