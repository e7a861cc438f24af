// Loaded with `node --import` by `npm run compat:latest`: resolves every `@azure/*` import made outside
// KLUIS_AZURE_CLIENTS_DIR from that folder instead, so the repository's own tests run against the clients
// installed there (the newest ones) rather than the versions pinned in package-lock.json.
import { register } from "node:module";
import { pathToFileURL } from "node:url";

const dir = process.env.KLUIS_AZURE_CLIENTS_DIR;
if (!dir) throw new Error("redirect-azure.mjs needs KLUIS_AZURE_CLIENTS_DIR");
const hooks = `
let root;
let anchor;
export async function initialize(data) {
  root = data.root;
  anchor = data.anchor;
}
export async function resolve(specifier, context, next) {
  if (specifier.startsWith("@azure/") && !(context.parentURL ?? "").startsWith(root)) {
    return next(specifier, { ...context, parentURL: anchor });
  }
  return next(specifier, context);
}`;
const root = pathToFileURL(dir).href.replace(/\/?$/, "/");
register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: { root, anchor: `${root}package.json` } });
