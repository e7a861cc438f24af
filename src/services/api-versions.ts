/**
 * The api-version rule, one for every surface that takes `?api-version=`: the vault data plane and each ARM
 * provider namespace. Azure ships new versions every few months and clients move to them as soon as they ship,
 * so Kluis accepts every well-formed version from a family's floor on — the ones it knows, any in between, and any
 * newer one — and answers it with the behaviour of the newest known version not after it. Only malformed versions
 * and versions before the floor are refused, with Azure's error for that surface.
 */
import { DomainError } from "../domain/errors.js";

/** A version as Azure spells it: `7.<minor>` (Key Vault 2018–2024) or a date, each optionally a preview. */
interface ParsedVersion {
  /** Release order across both spellings (see rankOf). */
  rank: number;
  preview: boolean;
}

export interface ApiVersionFamily {
  /** What the family answers for, e.g. "Key Vault" or "Microsoft.KeyVault". */
  name: string;
  /** Released versions, oldest first, as Azure lists them. */
  known: readonly string[];
  /** The oldest version accepted: Kluis serves nothing older, as those clients predate the shapes it speaks. */
  floor: string;
  /** Whether `7.<minor>` spellings belong to the family (only Key Vault's data plane used them). */
  sevenSeries: boolean;
}

export type ApiVersionVerdict =
  | { accepted: true; requested: string; behavesAs: string }
  | { accepted: false; reason: "missing" | "malformed" | "too-old" };

const DATE = /^(\d{4})-(\d{2})-(\d{2})(-preview)?$/;
const SEVEN = /^7\.(\d{1,2})(-preview(\.\d{1,2})?)?$/;

/**
 * Orders versions as Key Vault released them: 2015-06-01 < 2016-10-01 < 7.0 < … < 7.6 < 2025-07-01 < later dates.
 * Dates before 2017 rank below the 7.x series (they came before 7.0); dates from 2017 on rank above it, which is
 * right for every family: ARM never used 7.x, and Key Vault's data plane returned to dates only after 7.6.
 * A preview ranks with its release, since it already carries that release's shapes.
 */
function parse(version: string): ParsedVersion | null {
  const seven = SEVEN.exec(version);
  if (seven) return { rank: 1_000 + Number(seven[1]), preview: seven[2] !== undefined };
  const date = DATE.exec(version);
  if (!date) return null;
  const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCFullYear() !== year || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return null;
  const ordinal = year * 10_000 + month * 100 + day;
  return { rank: ordinal < 2017_00_00 ? ordinal / 1e8 : ordinal, preview: date[4] !== undefined };
}

/** The rank of a version (see parse); 0 for a malformed one. */
export function rankOf(version: string): number {
  return parse(version)?.rank ?? 0;
}

/** The newest version a family knows, as clients should be told to use it. */
export function newestKnown(family: ApiVersionFamily): string {
  return family.known[family.known.length - 1]!;
}

/** Applies the rule: which known version's behaviour answers `requested`, or why it is refused. */
export function classifyApiVersion(family: ApiVersionFamily, requested: string | undefined): ApiVersionVerdict {
  if (requested === undefined || requested === "") return { accepted: false, reason: "missing" };
  const parsed = parse(requested);
  if (!parsed || (!family.sevenSeries && SEVEN.test(requested))) return { accepted: false, reason: "malformed" };
  if (family.known.includes(requested)) return { accepted: true, requested, behavesAs: requested };
  if (parsed.rank < rankOf(family.floor)) return { accepted: false, reason: "too-old" };
  const newestSeven = family.known.filter((v) => SEVEN.test(v)).map(rankOf).reduce((a, b) => Math.max(a, b), 0);
  // A 7.x after the last known 7.x is a release Kluis has not seen: it gets the newest behaviour there is.
  if (SEVEN.test(requested) && parsed.rank > newestSeven) return { accepted: true, requested, behavesAs: newestKnown(family) };
  let behavesAs = family.known[0]!;
  for (const known of family.known) if (rankOf(known) <= parsed.rank) behavesAs = known;
  return { accepted: true, requested, behavesAs };
}

/** Key Vault's data plane (secrets, keys, certificates), from the 2016-10-01 the tutorial's Sample.py speaks on. */
export const VAULT_DATA_PLANE: ApiVersionFamily = {
  name: "Key Vault",
  // 2015-06-01 is older than the floor but a real release Azure still answers; clients pinned to it keep working.
  known: ["2015-06-01", "2016-10-01", "7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "2025-07-01"],
  floor: "2016-10-01",
  sevenSeries: true,
};

/**
 * ARM provider namespaces Kluis serves, with the versions Azure lists for them (stable releases, oldest first).
 * Requests outside any provider (subscriptions, resource groups, generic resources) belong to Microsoft.Resources.
 */
export const ARM_NAMESPACES: Readonly<Record<string, ApiVersionFamily>> = Object.fromEntries(
  (
    [
      ["Microsoft.Resources", "2014-04-01", ["2014-04-01", "2015-01-01", "2015-11-01", "2016-02-01", "2016-06-01", "2016-07-01", "2016-09-01", "2017-05-10", "2018-02-01", "2018-05-01", "2019-03-01", "2019-05-01", "2019-05-10", "2019-06-01", "2019-07-01", "2019-08-01", "2019-10-01", "2020-01-01", "2020-06-01", "2020-08-01", "2020-10-01", "2021-01-01", "2021-04-01", "2022-01-01", "2022-09-01", "2022-12-01", "2023-07-01", "2024-03-01", "2024-07-01", "2024-11-01", "2025-04-01"]],
      ["Microsoft.KeyVault", "2015-06-01", ["2015-06-01", "2016-10-01", "2018-02-14", "2019-09-01", "2021-10-01", "2022-07-01", "2022-11-01", "2023-02-01", "2023-07-01", "2024-11-01"]],
      ["Microsoft.Compute", "2015-06-15", ["2015-06-15", "2016-03-30", "2016-04-30-preview", "2017-03-30", "2017-12-01", "2018-04-01", "2018-06-01", "2018-10-01", "2019-03-01", "2019-07-01", "2019-12-01", "2020-06-01", "2020-12-01", "2021-03-01", "2021-04-01", "2021-07-01", "2021-11-01", "2022-03-01", "2022-08-01", "2022-11-01", "2023-03-01", "2023-07-01", "2023-09-01", "2024-03-01", "2024-07-01", "2024-11-01", "2025-04-01"]],
      ["Microsoft.Authorization", "2015-07-01", ["2015-07-01", "2018-01-01-preview", "2020-04-01-preview", "2022-04-01"]],
      ["Microsoft.ManagedIdentity", "2018-11-30", ["2018-11-30", "2023-01-31", "2024-11-30"]],
    ] as const
  ).map(([name, floor, known]) => [name.toLowerCase(), { name, floor, known, sevenSeries: false }]),
);

/**
 * The provider namespace and resource type an ARM route addresses: those after its last `providers/<namespace>`
 * (a role assignment on a vault belongs to Microsoft.Authorization), or Microsoft.Resources without one.
 */
export function armResourceTypeOf(routePath: string): { namespace: string; type: string } {
  const segments = routePath.split("/").filter((s) => s.length > 0);
  const last = segments.map((s) => s.toLowerCase()).lastIndexOf("providers");
  if (last < 0 || last + 1 >= segments.length || segments[last + 1]!.startsWith("{")) {
    const literal = segments.filter((s) => !s.startsWith("{"));
    return { namespace: "Microsoft.Resources", type: literal[literal.length - 1] ?? "subscriptions" };
  }
  const type = segments.slice(last + 2).filter((s) => !s.startsWith("{")).join("/");
  return { namespace: segments[last + 1]!, type };
}

/** ARM's check for one route: the behaviour to answer with, or ARM's error for that namespace. */
export function checkArmApiVersion(routePath: string, requested: string | undefined): { requested: string; behavesAs: string } {
  const { namespace, type } = armResourceTypeOf(routePath);
  const family = ARM_NAMESPACES[namespace.toLowerCase()];
  if (!family) throw new Error(`no api-version family for the ARM namespace ${namespace}`);
  const verdict = classifyApiVersion(family, requested);
  if (verdict.accepted) return verdict;
  if (verdict.reason === "missing") {
    throw new DomainError("MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
  }
  if (family.name === "Microsoft.Resources") {
    // Microsoft.Resources lists its versions newest first, without spaces.
    const supported = [...family.known].reverse().join(",");
    throw new DomainError("InvalidApiVersionParameter", `The api-version '${requested}' is invalid. The supported versions are '${supported}'.`);
  }
  throw new DomainError(
    "NoRegisteredProviderFound",
    `No registered resource provider found for API version '${requested}' for type '${type}'. The supported api-versions are '${family.known.join(", ")}'.`,
  );
}

/**
 * Microsoft Graph names its version in the path, not the query: `/v1.0/…`, and `/beta/…`, its preview (a
 * superset). Kluis serves each Graph route under both, with v1.0's behaviour, so clients written against beta work.
 */
export const GRAPH_VERSIONS = ["v1.0", "beta"] as const;

/** The Graph version a path addresses, or undefined when it is not a Graph path. */
export function graphVersionOf(path: string): string | undefined {
  const first = path.split("/")[1]?.toLowerCase();
  return GRAPH_VERSIONS.find((v) => v === first);
}

/** Graph routes (written under `/v1.0/`) for every Graph version. */
export function forEveryGraphVersion<R extends { path: string }>(routes: R[]): R[] {
  return GRAPH_VERSIONS.flatMap((version) => routes.map((route) => ({ ...route, path: route.path.replace(/^\/v1\.0\//i, `/${version}/`) })));
}
