/**
 * Graph request bodies as schemas. Graph refuses a property of the wrong shape with Request_BadRequest naming the
 * property and its resource; lengths follow Entra's limits (displayName 256, a certificate's key 16 KB of base64).
 */
import { Type, type TSchema } from "@sinclair/typebox";
import type { BodySchema } from "../../http/body-schema.js";

const orNull = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));
const text = (maxLength: number) => Type.String({ maxLength });

const keyCredential = Type.Object({
  key: orNull(text(16_384)),
  type: orNull(text(64)),
  usage: orNull(text(16)),
  displayName: orNull(text(256)),
  customKeyIdentifier: orNull(text(1024)),
  keyId: orNull(text(64)),
  startDateTime: orNull(text(64)),
  endDateTime: orNull(text(64)),
});

const graph = (resource: string, schema: TSchema): BodySchema => ({ style: "graph", resource, schema });

export const applicationBody = graph(
  "Application",
  Type.Object({
    displayName: orNull(text(256)),
    signInAudience: orNull(text(64)),
    keyCredentials: orNull(Type.Array(keyCredential, { maxItems: 32 })),
  }),
);

export const passwordBody = graph(
  "PasswordCredential",
  Type.Object({ passwordCredential: orNull(Type.Object({ displayName: orNull(text(256)), endDateTime: orNull(text(64)), startDateTime: orNull(text(64)) })) }),
);

export const servicePrincipalBody = graph("ServicePrincipal", Type.Object({ appId: orNull(text(64)), accountEnabled: orNull(Type.Boolean()) }));
