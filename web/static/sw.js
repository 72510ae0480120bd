/* Communecter's service worker (served at /sw.js so that its scope is the whole site).
 * It keeps the app shell (styles, icons, the offline page) in a cache and shows the
 * offline page when a navigation fails for want of network. Pages are never cached:
 * they may hold what only the signed-in person may see. */
"use strict";

const VERSION = "communecter-shell-v1";
const OFFLINE = "/offline";
const SHELL = [
  OFFLINE,
  "/static/site.css",
  "/static/icons/icon-192.png",
  "/static/icons/icon-512.png",
  "/static/icons/icon.svg",
  "/manifest.webmanifest",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(VERSION)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== VERSION)
        .map((key) => caches.delete(key))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === "navigate") {
    // Network first: the page as it is now; the offline page when there is no network.
    event.respondWith(
      fetch(request).catch(() => caches.match(OFFLINE, { ignoreSearch: true }))
    );
    return;
  }
  if (url.pathname.startsWith("/static/") || url.pathname === "/manifest.webmanifest") {
    // The shell: answer from the cache, refresh it in the background.
    event.respondWith(
      caches.open(VERSION).then((cache) => cache.match(request).then((cached) => {
        const fresh = fetch(request).then((response) => {
          if (response.ok) {
            cache.put(request, response.clone());
          }
          return response;
        }).catch(() => cached || Response.error());
        return cached || fresh;
      }))
    );
  }
});
