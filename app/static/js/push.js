/* /staff/alerts: turn Web Push on or off for this phone (the service worker /staff/sw.js). */
(function () {
  "use strict";
  var box = document.getElementById("push-settings");
  if (!box) { return; }
  var d = box.dataset;
  var state = document.getElementById("push-state");
  var on = document.getElementById("push-subscribe");
  var off = document.getElementById("push-unsubscribe");
  var known = JSON.parse(d.endpoints || "[]");
  // read by the service worker (sw.js) when the browser rotates the subscription
  var RENEWAL_CACHE = "park-mailbox-push";
  var RENEWAL_KEY = "/staff/push/renewal";

  function say(text, kind) {
    state.textContent = text;
    state.className = "push-state" + (kind ? " is-" + kind : "");
  }

  var ios = /iPhone|iPad|iPod/.test(navigator.userAgent) ||
    (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say(ios && !navigator.standalone ? d.labelIos : d.labelUnsupported, "warn");
    return;
  }

  function bytes(base64url) {
    var text = base64url.replace(/-/g, "+").replace(/_/g, "/");
    while (text.length % 4) { text += "="; }
    var raw = atob(text);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) { out[i] = raw.charCodeAt(i); }
    return out;
  }

  function send(method, body) {
    return fetch(d.subscriptionsUrl, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": d.csrfToken },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (!response.ok) {
        return response.json().catch(function () { return {}; }).then(function (answer) {
          throw new Error(answer.error || String(response.status));
        });
      }
      return response;
    });
  }

  function keptRenewal() {
    return caches.open(RENEWAL_CACHE).then(function (cache) {
      return cache.match(RENEWAL_KEY);
    }).then(function (answer) { return answer ? answer.json() : null; });
  }

  function publicKey() {
    if (d.publicKey) { return Promise.resolve(d.publicKey); }
    return fetch(d.keyUrl, { credentials: "same-origin" }).then(function (response) {
      return response.json();
    }).then(function (key) {
      d.publicKey = key.publicKey;
      return key.publicKey;
    });
  }

  /* Post the subscription and keep the renewal token the server answers with. */
  function register(subscription) {
    return send("POST", subscription.toJSON()).then(function (response) {
      return Promise.all([response.json(), publicKey()]);
    }).then(function (answers) {
      var record = { endpoint: answers[0].endpoint, renewToken: answers[0].renewToken,
                     publicKey: answers[1] };
      return caches.open(RENEWAL_CACHE).then(function (cache) {
        return cache.put(RENEWAL_KEY, new Response(JSON.stringify(record),
                                                   { headers: { "Content-Type": "application/json" } }));
      });
    });
  }

  /* A phone subscribed before renewal tokens existed (or whose token was lost) gets one. */
  function keepRenewable(subscription) {
    if (!subscription || known.indexOf(subscription.endpoint) === -1) {
      return Promise.resolve(null);
    }
    return keptRenewal().then(function (kept) {
      if (kept && kept.endpoint === subscription.endpoint && kept.renewToken) { return null; }
      return register(subscription);
    });
  }

  function show(subscription) {
    var here = !!subscription && known.indexOf(subscription.endpoint) !== -1;
    on.hidden = here;
    off.hidden = !here;
    if (here) {
      say(d.labelOn, "ok");
    } else if (Notification.permission === "denied") {
      say(d.labelBlocked, "warn");
    } else {
      say(d.labelOff);
    }
  }

  function failed(error) {
    on.disabled = off.disabled = false;
    say(d.labelFailed + " " + (error && error.message ? error.message : ""), "warn");
  }

  var ready = navigator.serviceWorker.register(d.workerUrl, { scope: d.scope });
  ready.then(function (registration) {
    return registration.pushManager.getSubscription().then(function (subscription) {
      show(subscription);
      // quietly: the phone gets its alerts either way, only a later renewal needs this
      keepRenewable(subscription).catch(function () { return null; });
    });
  }).catch(failed);

  on.addEventListener("click", function () {
    on.disabled = true;
    say(d.labelWorking);
    // asked here, on the tap: browsers ask only in answer to one
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") {
        on.disabled = false;
        say(d.labelBlocked, "warn");
        return null;
      }
      return ready.then(function (registration) {
        return publicKey().then(function (key) {
          return registration.pushManager.getSubscription().then(function (existing) {
            return existing || registration.pushManager.subscribe({
              userVisibleOnly: true, applicationServerKey: bytes(key)
            });
          });
        });
      }).then(register).then(function () { window.location.reload(); });
    }).catch(failed);
  });

  off.addEventListener("click", function () {
    off.disabled = true;
    ready.then(function (registration) {
      return registration.pushManager.getSubscription();
    }).then(function (subscription) {
      if (!subscription) { return null; }
      return send("DELETE", { endpoint: subscription.endpoint }).then(function () {
        return caches.delete(RENEWAL_CACHE);
      }).then(function () {
        return subscription.unsubscribe();
      });
    }).then(function () { window.location.reload(); }).catch(failed);
  });
}());
