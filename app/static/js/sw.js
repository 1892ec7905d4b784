/* Staff service worker (/staff/sw.js, scope /staff/): shows Web Push alerts as system
   notifications, with the browser closed and the phone locked; a tap opens the case. */
"use strict";

var FALLBACK_TITLE = "园长信箱";

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
