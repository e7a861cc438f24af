/** az's image aliases (`az vm image list`), and URNs `publisher:offer:sku:version`. */
import { UsageError } from "../errors.js";

export interface ImageReference {
  publisher: string;
  offer: string;
  sku: string;
  version: string;
}

const ALIASES: Record<string, string> = {
  CentOS85Gen2: "OpenLogic:CentOS:8_5-gen2:latest",
  Debian11: "Debian:debian-11:11-backports-gen2:latest",
  Debian12: "Debian:debian-12:12-gen2:latest",
  FlatcarLinuxFreeGen2: "kinvolk:flatcar-container-linux-free:stable-gen2:latest",
  OpenSuseLeap154Gen2: "SUSE:openSUSE-leap-15-4:gen2:latest",
  RHELRaw8LVMGen2: "RedHat:RHEL:8-lvm-gen2:latest",
  SuseSles15SP3: "SUSE:sles-15-sp3:gen2:latest",
  Ubuntu2204: "Canonical:0001-com-ubuntu-server-jammy:22_04-lts-gen2:latest",
  Ubuntu2404: "Canonical:ubuntu-24_04-lts:server:latest",
  UbuntuLTS: "Canonical:UbuntuServer:18.04-LTS:latest",
};

export function imageReference(image: string): ImageReference {
  const alias = Object.keys(ALIASES).find((name) => name.toLowerCase() === image.toLowerCase());
  const urn = alias === undefined ? image : (ALIASES[alias] ?? image);
  const [publisher, offer, sku, version, ...rest] = urn.split(":");
  if (publisher && offer && sku && version && rest.length === 0) return { publisher, offer, sku, version };
  throw new UsageError(
    `Invalid image "${image}". Use a valid image URN (publisher:offer:sku:version) or pick an image from ${JSON.stringify(Object.keys(ALIASES))}.`,
  );
}
