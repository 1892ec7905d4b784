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
    return registration.pushManager.getSubscription().then(show);
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
        return fetch(d.keyUrl, { credentials: "same-origin" }).then(function (response) {
          return response.json();
        }).then(function (key) {
          return registration.pushManager.getSubscription().then(function (existing) {
            return existing || registration.pushManager.subscribe({
              userVisibleOnly: true, applicationServerKey: bytes(key.publicKey)
            });
          });
        });
      }).then(function (subscription) {
        return send("POST", subscription.toJSON());
      }).then(function () { window.location.reload(); });
    }).catch(failed);
  });

  off.addEventListener("click", function () {
    off.disabled = true;
    ready.then(function (registration) {
      return registration.pushManager.getSubscription();
    }).then(function (subscription) {
      if (!subscription) { return null; }
      return send("DELETE", { endpoint: subscription.endpoint }).then(function () {
        return subscription.unsubscribe();
      });
    }).then(function () { window.location.reload(); }).catch(failed);
  });
}());
