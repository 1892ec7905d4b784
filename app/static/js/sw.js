/* Staff service worker (/staff/sw.js, scope /staff/): shows Web Push alerts as system
   notifications, with the browser closed and the phone locked; a tap opens the case. When
   the browser rotates the push subscription, it subscribes again and tells the server. */
"use strict";

var FALLBACK_TITLE = "园长信箱";
// what /staff/alerts (push.js) keeps when it subscribes: {endpoint, renewToken, publicKey}.
// The renewal token is this phone's alone: it lets the worker, with no page, session or
// CSRF token, replace its subscription at the server (POST push/subscriptions/renew).
var RENEWAL_CACHE = "park-mailbox-push";
var RENEWAL_KEY = "/staff/push/renewal";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("push", function (event) {
  var data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (e) {
    data = { body: event.data ? event.data.text() : "" };
  }
  var url = data.url || self.registration.scope;
  var options = {
    body: data.body || "",
    // one notification per case and kind: a second push about it replaces the first
    tag: data.case_id ? "case-" + data.case_id + "-" + (data.type || "") : "park-mailbox-" + (data.type || ""),
    renotify: true,
    vibrate: data.urgent ? [300, 100, 300, 100, 300] : [200, 100, 200],
    requireInteraction: !!data.urgent,
    icon: "/static/icons/icon-192.png",
    badge: "/static/icons/icon-192.png",
    timestamp: Date.now(),
    data: { url: url, type: data.type, case_id: data.case_id, reference: data.reference }
  };
  event.waitUntil(self.registration.showNotification(data.title || FALLBACK_TITLE, options));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || self.registration.scope;
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
    var i;
    for (i = 0; i < windows.length; i += 1) {
      if (windows[i].url === url && "focus" in windows[i]) { return windows[i].focus(); }
    }
    // a staff page already open: take it to the case rather than opening another
    for (i = 0; i < windows.length; i += 1) {
      if (windows[i].url.indexOf(self.registration.scope) === 0 && "navigate" in windows[i]) {
        return windows[i].navigate(url).then(function (client) { return client && client.focus(); });
      }
    }
    return self.clients.openWindow(url);
  }));
});

function bytes(base64url) {
  var text = base64url.replace(/-/g, "+").replace(/_/g, "/");
  while (text.length % 4) { text += "="; }
  var raw = atob(text);
  var out = new Uint8Array(raw.length);
  for (var i = 0; i < raw.length; i += 1) { out[i] = raw.charCodeAt(i); }
  return out;
}

function keptRenewal() {
  return caches.open(RENEWAL_CACHE).then(function (cache) {
    return cache.match(RENEWAL_KEY);
  }).then(function (answer) { return answer ? answer.json() : null; });
}

function keepRenewal(record) {
  return caches.open(RENEWAL_CACHE).then(function (cache) {
    return cache.put(RENEWAL_KEY, new Response(JSON.stringify(record),
                                               { headers: { "Content-Type": "application/json" } }));
  });
}

/* Replace the kept subscription by `fresh` (or a new one, with the same VAPID key) at the
   server; resolves to the server's status, or 0 when there is nothing to renew. */
function renewSubscription(old, fresh) {
  return keptRenewal().then(function (kept) {
    // subscribed before renewal tokens existed: the alerts page fetches one when opened
    if (!kept || !kept.renewToken) { return 0; }
    var key = (old && old.options && old.options.applicationServerKey) || bytes(kept.publicKey);
    var next = fresh ? Promise.resolve(fresh) : self.registration.pushManager.subscribe({
      userVisibleOnly: true, applicationServerKey: key
    });
    return next.then(function (subscription) {
      return fetch(new URL("push/subscriptions/renew", self.registration.scope).href, {
        method: "POST", credentials: "omit",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ oldEndpoint: kept.endpoint, renewToken: kept.renewToken,
                               subscription: subscription.toJSON() })
      });
    }).then(function (response) {
      if (!response.ok) { return response.status; }
      return response.json().then(function (answer) {
        return keepRenewal({ endpoint: answer.endpoint, renewToken: answer.renewToken,
                             publicKey: kept.publicKey });
      }).then(function () { return response.status; });
    });
  });
}

self.addEventListener("pushsubscriptionchange", function (event) {
  event.waitUntil(renewSubscription(event.oldSubscription, event.newSubscription));
});
