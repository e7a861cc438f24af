/** Record builders for the storage contract suite: valid, fully populated records with unique ids. */
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import {
  StoreError,
  type MachineRecord,
  type ObjectVersionRecord,
  type PrincipalRecord,
  type ResourceGroupRecord,
  type RotationPolicyRecord,
  type SecretVersionRecord,
  type Store,
  type VaultDocumentRecord,
  type VaultRecord,
} from "../../src/storage/types.js";

export const T0 = 1_700_000_000_000;

/** Registers one contract test that runs against a fresh store. */
export type ContractIt = (title: string, fn: (store: Store) => Promise<void>) => void;

export async function rejectsWith(promise: Promise<unknown>, kind: StoreError["kind"]): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof StoreError, `expected StoreError(${kind}), got ${String(error)}`);
    assert.equal(error.kind, kind);
    return true;
  });
}


export function hexVersion(): string {
  return randomBytes(16).toString("hex");
}

export function principal(overrides: Partial<PrincipalRecord> = {}): PrincipalRecord {
  return {
    objectId: randomUUID(),
    appId: randomUUID(),
    appObjectId: randomUUID(),
    tenantId: "00000000-0000-0000-0000-00000000000a",
    displayName: "svc-app",
    kind: "ServicePrincipal",
    admin: false,
    secretDigests: ["sha256:abc"],
    certificates: ["MIIBcert=="],
    resourceId: null,
    createdAt: T0,
    ...overrides,
  };
}

export function group(subscriptionId: string, name: string, overrides: Partial<ResourceGroupRecord> = {}): ResourceGroupRecord {
  return { subscriptionId, name, location: "westeurope", tags: { env: "test" }, createdAt: T0, ...overrides };
}

export function vault(name: string, overrides: Partial<VaultRecord> = {}): VaultRecord {
  return {
    id: randomUUID(),
    name,
    subscriptionId: "sub-1",
    resourceGroup: "rg-1",
    location: "westeurope",
    tags: { team: "core" },
    properties: {
      tenantId: "00000000-0000-0000-0000-00000000000a",
      sku: { family: "A", name: "standard" },
      accessPolicies: [
        {
          tenantId: "00000000-0000-0000-0000-00000000000a",
          objectId: randomUUID(),
          applicationId: null,
          permissions: { secrets: ["get", "list"], keys: [] },
        },
      ],
      enabledForDeployment: false,
      enabledForDiskEncryption: true,
      enabledForTemplateDeployment: false,
      enableSoftDelete: true,
      softDeleteRetentionInDays: 90,
      enableRbacAuthorization: false,
      enablePurgeProtection: null,
      publicNetworkAccess: "Enabled",
    },
    createdAt: T0,
    createdBy: "admin@kluis",
    updatedAt: T0,
    updatedBy: "admin@kluis",
    deletedAt: null,
    ...overrides,
  };
}

export function machine(subscriptionId: string, resourceGroup: string, name: string, overrides: Partial<MachineRecord> = {}): MachineRecord {
  return {
    id: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Compute/virtualMachines/${name}`,
    subscriptionId,
    resourceGroup,
    name,
    location: "westeurope",
    tags: {},
    properties: { hardwareProfile: { vmSize: "Standard_B1s" }, osProfile: { computerName: name, nested: [1, "two", null] } },
    identityPrincipalId: randomUUID(),
    metadataPort: 40_342,
    identityHeaderSealed: Buffer.from([0, 1, 2, 255, 254, 0, 128]),
    createdAt: T0,
    ...overrides,
  };
}

export function secret(vaultId: string, name: string, overrides: Partial<SecretVersionRecord> = {}): SecretVersionRecord {
  return {
    vaultId,
    name,
    version: hexVersion(),
    sealedValue: Buffer.concat([Buffer.from([0, 255, 0]), randomBytes(29)]),
    contentType: "text/plain",
    meta: null,
    tags: { purpose: "test" },
    attributes: { enabled: true, nbf: null, exp: null },
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

/** A key version: the sealed private JWK in sealedValue, the public fields in meta, no content type. */
export function keyVersion(vaultId: string, name: string, overrides: Partial<ObjectVersionRecord> = {}): ObjectVersionRecord {
  return {
    vaultId,
    name,
    version: hexVersion(),
    sealedValue: Buffer.concat([Buffer.from([0, 255, 0]), randomBytes(61)]),
    contentType: null,
    meta: { kty: "RSA", key_ops: ["encrypt", "decrypt", "sign", "verify"], n: randomBytes(32).toString("base64url"), e: "AQAB" },
    tags: { purpose: "key-test" },
    attributes: { enabled: true, nbf: null, exp: null },
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

export function rotationPolicy(vaultId: string, name: string, overrides: Partial<RotationPolicyRecord> = {}): RotationPolicyRecord {
  return {
    vaultId,
    name,
    policy: {
      lifetimeActions: [{ trigger: { timeAfterCreate: "P30D" }, action: { type: "Rotate" } }],
      attributes: { expiryTime: "P90D", created: 1_700_000_000, updated: 1_700_000_000 },
    },
    dueAt: 1_700_000_100,
    createdAt: 1_700_000_000,
    updatedAt: 1_700_000_000,
    ...overrides,
  };
}

/** A certificate version: the public certificate facts in meta; the sealed value is unused (the key holds the private key). */
export function certificateVersion(vaultId: string, name: string, overrides: Partial<ObjectVersionRecord> = {}): ObjectVersionRecord {
  return {
    vaultId,
    name,
    version: hexVersion(),
    sealedValue: Buffer.concat([Buffer.from([0, 255, 0]), randomBytes(13)]),
    contentType: null,
    meta: { cer: randomBytes(48).toString("base64"), x5t: randomBytes(20).toString("base64url"), contentType: "application/x-pkcs12" },
    tags: { purpose: "certificate-test" },
    attributes: { enabled: true, nbf: T0 - 10, exp: T0 + 86_400 },
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

export function vaultDocument(vaultId: string, kind: string, name: string, overrides: Partial<VaultDocumentRecord> = {}): VaultDocumentRecord {
  return {
    vaultId,
    kind,
    name,
    body: { issuer: { name: "Self" }, x509_props: { subject: `CN=${name}`, sans: { dns_names: ["a.example", "b.example"] } }, text: "ü \u0000" },
    sealed: Buffer.concat([Buffer.from([0, 255, 0]), randomBytes(21)]),
    dueAt: 1_700_000_100,
    createdAt: 1_700_000_000,
    updatedAt: 1_700_000_000,
    ...overrides,
  };
}
