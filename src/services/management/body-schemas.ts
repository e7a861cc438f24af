/**
 * ARM request bodies as schemas, with ARM's bounds: 50 tags per resource, tag names up to 512 and values up to
 * 256 characters (Azure's documented tag limits), and lengths on every free-form string. Unknown properties are
 * accepted, as ARM ignores them; `null` is accepted wherever ARM's deserializer takes it as "not given". The domain
 * keeps the rules that are about meaning (GUIDs, permissions, retention days, sku names).
 */
import { Type, type TSchema } from "@sinclair/typebox";
import type { BodySchema } from "../../http/body-schema.js";

export const MAX_ARM_TAGS = 50;
const MAX_TAG_NAME = 512;
const MAX_TAG_VALUE = 256;
/** The longest Azure region name is well under this; a location is a name, not a document. */
const MAX_LOCATION = 64;
const MAX_ID = 1024;

const orNull = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));
const text = (maxLength: number) => Type.String({ maxLength });

const tags = orNull(
  Type.Record(Type.String(), Type.String({ maxLength: MAX_TAG_VALUE }), { maxProperties: MAX_ARM_TAGS, propertyNames: { maxLength: MAX_TAG_NAME } }),
);
const location = orNull(text(MAX_LOCATION));

// Types and bounds only: which fields are required, and what a GUID or a permission is, the domain says in
// Azure's words (domain/vaults.ts).
const accessPolicy = Type.Object({
  tenantId: orNull(text(64)),
  objectId: orNull(text(64)),
  applicationId: orNull(text(64)),
  permissions: orNull(Type.Object({
    keys: orNull(Type.Array(text(64), { maxItems: 64 })),
    secrets: orNull(Type.Array(text(64), { maxItems: 64 })),
    certificates: orNull(Type.Array(text(64), { maxItems: 64 })),
    storage: orNull(Type.Array(text(64), { maxItems: 64 })),
  })),
});

const vaultProperties = Type.Object({
  tenantId: orNull(text(64)),
  sku: orNull(Type.Object({ family: orNull(text(16)), name: orNull(text(16)) })),
  accessPolicies: orNull(Type.Array(accessPolicy, { maxItems: 1024 })),
  vaultUri: orNull(text(MAX_ID)),
  enabledForDeployment: orNull(Type.Boolean()),
  enabledForDiskEncryption: orNull(Type.Boolean()),
  enabledForTemplateDeployment: orNull(Type.Boolean()),
  enableSoftDelete: orNull(Type.Boolean()),
  softDeleteRetentionInDays: orNull(Type.Integer()),
  enableRbacAuthorization: orNull(Type.Boolean()),
  enablePurgeProtection: orNull(Type.Boolean()),
  // createMode: any value reaches putVault, which names the valid ones in ARM's words.
  createMode: Type.Optional(Type.Unknown()),
  publicNetworkAccess: orNull(text(16)),
  networkAcls: orNull(Type.Object({}, { maxProperties: 8 })),
});

const arm = (resource: string, schema: TSchema): BodySchema => ({ style: "arm", resource, schema });

export const resourceGroupBody = arm(
  "ResourceGroup",
  Type.Object({ location, tags, managedBy: orNull(text(MAX_ID)), properties: orNull(Type.Object({}, { maxProperties: 8 })) }),
);

export const resourceGroupPatchBody = resourceGroupBody;

export const vaultBody = arm("Vault", Type.Object({ location, tags, properties: orNull(vaultProperties) }));

export const vaultPatchBody = vaultBody;

export const accessPolicyBody = arm("AccessPolicy", Type.Object({ properties: orNull(Type.Object({ accessPolicies: orNull(Type.Array(accessPolicy, { maxItems: 1024 })) })) }));

export const nameAvailabilityBody = arm("VaultCheckNameAvailabilityParameters", Type.Object({ name: orNull(text(256)), type: orNull(text(64)) }));

/**
 * A machine's ARM properties are stored as given (hardware, storage and OS profiles), so they are bounded in
 * breadth here and in bytes by the request-body limit.
 */
export const machineBody = arm(
  "VirtualMachine",
  Type.Object({
    location,
    tags,
    identity: orNull(Type.Object({ type: orNull(text(64)), userAssignedIdentities: orNull(Type.Object({}, { maxProperties: 16 })) })),
    properties: orNull(Type.Object({}, { maxProperties: 64 })),
  }),
);

export const roleAssignmentBody = arm(
  "RoleAssignment",
  Type.Object({
    properties: orNull(Type.Object({
      roleDefinitionId: orNull(text(MAX_ID)),
      principalId: orNull(text(64)),
      principalType: orNull(text(64)),
      description: orNull(text(2048)),
      condition: orNull(text(8192)),
      conditionVersion: orNull(text(16)),
    })),
  }),
);
