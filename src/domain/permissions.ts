/** Access-policy permission names Azure defines, per collection (lower-case; "all" grants every one). */
export const SECRET_PERMISSIONS = ["get", "list", "set", "delete", "recover", "backup", "restore", "purge", "all"];
export const KEY_PERMISSIONS = [
  "get", "list", "update", "create", "import", "delete", "recover", "backup", "restore", "decrypt", "encrypt",
  "unwrapkey", "wrapkey", "verify", "sign", "purge", "release", "rotate", "getrotationpolicy", "setrotationpolicy", "all",
];
export const CERTIFICATE_PERMISSIONS = [
  "get", "list", "delete", "create", "import", "update", "managecontacts", "getissuers", "listissuers", "setissuers",
  "deleteissuers", "manageissuers", "recover", "purge", "backup", "restore", "all",
];
export const STORAGE_PERMISSIONS = [
  "get", "list", "delete", "set", "update", "regeneratekey", "recover", "purge", "backup", "restore", "setsas",
  "listsas", "getsas", "deletesas", "all",
];

export const PERMISSIONS_BY_COLLECTION: Record<"keys" | "secrets" | "certificates" | "storage", string[]> = {
  keys: KEY_PERMISSIONS,
  secrets: SECRET_PERMISSIONS,
  certificates: CERTIFICATE_PERMISSIONS,
  storage: STORAGE_PERMISSIONS,
};
