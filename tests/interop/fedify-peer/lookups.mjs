// Read-only control endpoints: what Fedify makes of another server's documents,
// collections and NodeInfo (see peer.mjs).

import {
  getDocumentLoader,
  parseNodeInfo,
} from "@fedify/fedify";
import {
  Collection,
} from "@fedify/vocab";
import {
  IDENTIFIER,
  documentLoader,
  context,
} from "./federation.mjs";

/** Fedify's loader for look-ups: signed with the peer's key when `signed` (Fedify's
 * authenticated document loader), else plain. */
async function loaderFor(ctx, signed) {
  return signed ? await ctx.getDocumentLoader({ identifier: IDENTIFIER }) : documentLoader;
}

// POST /_control/lookup {iri, signed?}: what Fedify makes of one of our documents (its
// class and its own JSON-LD of it), fetched and parsed as Fedify does for any remote
// object; `signed`: with a signed GET (for servers in authorized-fetch mode).
async function controlLookup(payload) {
  const ctx = context();
  const loader = await loaderFor(ctx, payload.signed);
  let found;
  try {
    found = await ctx.lookupObject(payload.iri, { documentLoader: loader });
  } catch (error) {
    return { found: false, error: String(error) };
  }
  if (found == null) return { found: false };
  const result = {
    found: true,
    type: found.constructor.name,
    json: await found.toJsonLd({ format: "compact" }),
  };
  if (typeof found.getPublicKeys === "function") {
    result.publicKeys = [];
    for await (const key of found.getPublicKeys({ documentLoader: loader })) {
      result.publicKeys.push({ id: key.id?.href ?? null, owner: key.ownerId?.href ?? null });
    }
  }
  return result;
}

// POST /_control/collection {iri, limit?, signed?}: the items of one of our collections
// as Fedify walks it (first page, next pages).
async function controlCollection(payload) {
  const ctx = context();
  const loader = await loaderFor(ctx, payload.signed);
  let found;
  try {
    found = await ctx.lookupObject(payload.iri, { documentLoader: loader });
  } catch (error) {
    return { found: false, error: String(error) };
  }
  if (!(found instanceof Collection)) {
    return { found: false, type: found?.constructor?.name ?? null };
  }
  const items = [];
  const limit = payload.limit ?? 200;
  const walk = ctx.traverseCollection(found, { documentLoader: loader });
  for await (const item of walk) {
    items.push({
      id: item.id?.href ?? item.href?.href ?? null,
      type: item.constructor.name,
      object: item.objectId?.href ?? null,
    });
    if (items.length >= limit) break;
  }
  return {
    found: true,
    type: found.constructor.name,
    totalItems: found.totalItems ?? null,
    items,
  };
}

// POST /_control/nodeinfo {url}: a server's NodeInfo as Fedify parses it (strictly).
// Fedify's getNodeInfo refuses private addresses whatever the options, so the two
// documents are fetched here and handed to Fedify's parser.
async function controlNodeInfo(payload) {
  const wellKnown = await fetch(new URL("/.well-known/nodeinfo", payload.url), {
    headers: { accept: "application/json" },
  });
  if (!wellKnown.ok) return { found: false, status: wellKnown.status };
  const links = (await wellKnown.json())?.links ?? [];
  const link = links.find((l) =>
    l?.rel === "http://nodeinfo.diaspora.software/ns/schema/2.1" ||
    l?.rel === "http://nodeinfo.diaspora.software/ns/schema/2.0"
  );
  if (link?.href == null) return { found: false, links };
  const document = await fetch(link.href, { headers: { accept: "application/json" } });
  if (!document.ok) return { found: false, status: document.status };
  const info = parseNodeInfo(await document.json(), { parse: "strict" });
  if (info == null) return { found: false, parsed: false };
  return {
    found: true,
    software: { name: info.software.name, version: String(info.software.version) },
    protocols: info.protocols,
    openRegistrations: info.openRegistrations,
    usage: info.usage,
  };
}

export { controlCollection, controlLookup, controlNodeInfo };
