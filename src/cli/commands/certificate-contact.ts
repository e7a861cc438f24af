/**
 * `kluis keyvault certificate contact add | list | delete` — the vault's certificate contacts (who is told of
 * expiring certificates). Key Vault keeps them as one list that is replaced as a whole, so add and delete read it,
 * change it and write it back, as az does; removing the last contact deletes the list.
 */
import type { Command } from "commander";
import { leafCommand, onAction } from "../command-kit.js";
import { CliError, RequestError } from "../errors.js";
import type { Session } from "../session.js";
import { contactsView, type ContactsWire } from "./certificate-view.js";
import { dropUndefined, resolveVault, vaultAddressed } from "./vault-object.js";

const CONTACTS_PATH = "/certificates/contacts";

/** The vault's contacts; a vault that has none answers 404, which is an empty list here. */
async function currentContacts(session: Session, vaultUrl: string): Promise<NonNullable<ContactsWire["contacts"]>> {
  try {
    return (await session.vault<ContactsWire>("GET", vaultUrl, CONTACTS_PATH)).contacts ?? [];
  } catch (error) {
    if (error instanceof RequestError && error.status === 404) return [];
    throw error;
  }
}

const sameEmail = (a: string | undefined, b: string) => (a ?? "").toLowerCase() === b.toLowerCase();

interface ContactOptions {
  vaultName?: string;
  id?: string;
  email: string;
  name?: string;
  phone?: string;
}

export function registerCertificateContactCommands(certificate: Command): void {
  const contact = certificate.command("contact").description("Manage the contacts told of certificate events (expiry) in a vault.");

  onAction<ContactOptions>(
    vaultAddressed(leafCommand(contact, "add", "Add a contact to the vault's certificate contacts."))
      .requiredOption("--email <address>", "the contact's e-mail address")
      .option("--name <name>", "the contact's full name")
      .option("--phone <number>", "the contact's phone number"),
    async (options, context) => {
      const session = context.session();
      const vaultUrl = await resolveVault(session, options);
      const contacts = await currentContacts(session, vaultUrl);
      if (contacts.some((c) => sameEmail(c.email, options.email))) throw new CliError(`contact '${options.email}' already exists`);
      const added = [...contacts, dropUndefined({ email: options.email, name: options.name, phone: options.phone })];
      return contactsView(await session.vault<ContactsWire>("PUT", vaultUrl, CONTACTS_PATH, { contacts: added }));
    },
  );

  onAction<{ vaultName?: string; id?: string }>(vaultAddressed(leafCommand(contact, "list", "List the vault's certificate contacts.")), async (options, context) => {
    const session = context.session();
    return contactsView(await session.vault<ContactsWire>("GET", await resolveVault(session, options), CONTACTS_PATH));
  });

  onAction<ContactOptions>(
    vaultAddressed(leafCommand(contact, "delete", "Remove a contact from the vault's certificate contacts.")).requiredOption(
      "--email <address>",
      "the e-mail address of the contact to remove",
    ),
    async (options, context) => {
      const session = context.session();
      const vaultUrl = await resolveVault(session, options);
      const contacts = await currentContacts(session, vaultUrl);
      const remaining = contacts.filter((c) => !sameEmail(c.email, options.email));
      if (remaining.length === contacts.length) throw new CliError(`contact '${options.email}' not found in vault '${vaultUrl}'`);
      if (remaining.length > 0) return contactsView(await session.vault<ContactsWire>("PUT", vaultUrl, CONTACTS_PATH, { contacts: remaining }));
      return contactsView(await session.vault<ContactsWire>("DELETE", vaultUrl, CONTACTS_PATH));
    },
  );
}
