/* Staff app: live inbox over Socket.IO, with catch-up after a dropped connection. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  Array.prototype.forEach.call(document.querySelectorAll("[data-autosubmit]"), function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  var root = document.getElementById("staff-app");
  if (!root || typeof io === "undefined") { return; }

  var STORAGE_KEY = "parkMailbox.lastEventId";
  var data = root.dataset;
  var labels = JSON.parse(data.statusLabels || "{}");
  var lastId = parseInt(data.lastEventId || "0", 10) || 0;
  var seen = new Set();
  var unread = 0;
  var openCount = parseInt(data.openCount || "0", 10) || 0;
  var audio = null;
  var userId = parseInt(data.userId || "0", 10);
  var roles = (data.roles || "").split(" ");
  var OPEN = { "new": true, "acknowledged": true, "in_progress": true };
  // changes that need someone to act: sound, vibration and a notification
  var ALERTS = { me_too: data.labelMeToo, reopened: data.labelReopened, follow_up: data.labelFollowUp };

  function remember(id) {
    seen.add(id);
    if (id > lastId) {
      lastId = id;
      try { localStorage.setItem(STORAGE_KEY, String(lastId)); } catch (e) { /* private mode */ }
    }
  }

  function updateTitle() {
    var count = data.page === "inbox" ? openCount : unread;
    document.title = (count > 0 ? "(" + count + ") " : "") + data.title;
  }

  function beep() {
    if (!audio) { return; }
    var osc = audio.createOscillator();
    var gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.25, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.6);
    osc.connect(gain);
    gain.connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.6);
  }

  function alertStaff(title, body, url) {
    beep();
    if (navigator.vibrate) { navigator.vibrate([200, 100, 200]); }
    if (window.Notification && Notification.permission === "granted" && document.hidden) {
      var note = new Notification(title, { body: body, tag: url });
      note.onclick = function () { window.focus(); window.location.href = url; };
    }
  }

  // The clock: "3 min ago" and the time limits count on without a reload (same units and
  // rounding as app/formatting.py's `ago` and `duration`); an escalated card says
  // "overdue 12 min", never a countdown that stopped when the page was drawn.
  var clock = JSON.parse(data.clock || "{}");
  var relative = window.Intl && Intl.RelativeTimeFormat
    ? new Intl.RelativeTimeFormat(data.locale === "en" ? "en" : "zh-CN", { numeric: "always" }) : null;
  var AGO_UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400],
                   ["hour", 3600], ["minute", 60]];

  function fill(pattern, values) {
    return (pattern || "").replace(/%\((\w+)\)[sd]/g, function (_, name) { return values[name]; });
  }

  function duration(minutes) {
    if (minutes < 60) { return fill(clock.m, { m: minutes }); }
    var hours = Math.floor(minutes / 60), rest = minutes % 60;
    if (hours < 24) { return rest ? fill(clock.hm, { h: hours, m: rest }) : fill(clock.h, { h: hours }); }
    var days = Math.floor(hours / 24);
    hours = hours % 24;
    return hours ? fill(clock.dh, { d: days, h: hours }) : fill(clock.d, { d: days });
  }

  function ago(seconds) {
    if (seconds < 60 || !relative) { return seconds < 60 ? clock.just_now : null; }
    for (var i = 0; i < AGO_UNITS.length; i += 1) {
      var value = seconds / AGO_UNITS[i][1];
      if (value >= 1) { return relative.format(-Math.max(1, Math.round(value)), AGO_UNITS[i][0]); }
    }
    return null;
  }

  function tick() {
    var now = Date.now();
    Array.prototype.forEach.call(document.querySelectorAll('[data-role="received"][datetime]'), function (node) {
      var said = ago(Math.max(0, (now - Date.parse(node.getAttribute("datetime"))) / 1000));
      if (said) { node.textContent = said; }
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-role="deadline"][data-due]'), function (node) {
      var left = Date.parse(node.dataset.due) - now;
      var span = duration(Math.floor(Math.abs(left) / 60000));
      node.textContent = (clock[node.dataset.limit] || "") + " · " +
        fill(left < 0 ? clock.overdue : clock.left, { span: span });
      node.classList.toggle("is-overdue", left < 0);
      var row = node.closest(".case-row");
      if (row) { row.classList.toggle("is-overdue", left < 0); }
    });
  }

  function deadlineNode(message) {
    var node = text("span", "deadline", "");
    node.dataset.role = "deadline";
    node.dataset.limit = message.next_limit;
    node.dataset.due = message.next_due_at;
    return node;
  }

  function receivedNode(message) {
    var node = text("time", "received", clock.just_now || "");
    node.dataset.role = "received";
    node.setAttribute("datetime", message.created_at);
    node.title = new Date(message.created_at).toLocaleString(data.locale === "en" ? "en" : "zh-CN");
    return node;
  }

  function text(tag, className, value) {
    var node = document.createElement(tag);
    node.className = className;
    node.textContent = value;
    return node;
  }

  function icon(name) {
    // the inbox carries the icon set as <symbol>s; an unknown name gets the plain dot
    var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    var attributes = { "class": "icon", viewBox: "0 0 24 24", "aria-hidden": "true",
      focusable: "false", fill: "none", stroke: "currentColor", "stroke-width": "2",
      "stroke-linecap": "round", "stroke-linejoin": "round" };
    Object.keys(attributes).forEach(function (key) { svg.setAttribute(key, attributes[key]); });
    var use = document.createElementNS("http://www.w3.org/2000/svg", "use");
    use.setAttribute("href", "#icon-" + (document.getElementById("icon-" + name) ? name : "dot"));
    svg.appendChild(use);
    return svg;
  }

  function localName(message, field) {
    return (data.locale === "en" && message[field + "_en"]) || message[field] || "";
  }

  function isYours(message) {
    return message.assignee_id === userId || roles.indexOf(message.role) !== -1;
  }

  function caseRow(message) {
    var url = data.caseUrl + message.case_id;
    var item = document.createElement("li");
    item.className = "case-row status-" + message.status + " is-fresh" +
      (isYours(message) ? " is-yours" : "") + (message.urgent ? " is-urgent" : "");
    item.dataset.status = message.status;
    item.dataset.caseId = message.case_id;
    var link = document.createElement("a");
    link.className = "case-link";
    link.href = url;
    var top = document.createElement("span");
    top.className = "case-top";
    top.appendChild(text("span", "case-ref", message.reference));
    var badge = text("span", "badge badge-" + message.status, labels[message.status] || message.status);
    badge.dataset.role = "status";
    top.appendChild(badge);
    link.appendChild(top);
    var where = [localName(message, "category_name"),
                 localName(message, "park_name"), localName(message, "point_name")];
    var whereNode = text("span", "case-where", " " + where.filter(Boolean).join(" · "));
    whereNode.insertBefore(icon(message.category_icon), whereNode.firstChild);
    link.appendChild(whereNode);
    link.appendChild(text("span", "case-excerpt", message.excerpt));
    var meta = text("span", "case-meta", "");
    if (message.urgent) {
      var urgent = text("span", "tag tag-urgent", data.labelUrgent);
      urgent.dataset.role = "urgent";
      meta.appendChild(urgent);
    }
    if (message.created_at) { meta.appendChild(receivedNode(message)); }
    if (isYours(message)) {
      meta.appendChild(text("span", "tag tag-yours", data.labelYours));
    }
    // a new case has no reply yet: "unanswered" stays visible until it gets one
    var unanswered = text("span", "tag tag-warn", data.labelUnanswered);
    unanswered.dataset.role = "unanswered";
    meta.appendChild(unanswered);
    if (message.next_due_at) { meta.appendChild(deadlineNode(message)); }
    link.appendChild(meta);
    item.appendChild(link);
    return item;
  }

  function onCreated(message) {
    if (seen.has(message.event_id)) { return; }
    remember(message.event_id);
    var url = data.caseUrl + message.case_id;
    // a case moved to another park of the unit (转办) arrives again: its row is replaced
    var existing = data.page === "inbox" &&
      document.querySelector('.case-row[data-case-id="' + message.case_id + '"]');
    if (existing) {
      if (OPEN[existing.dataset.status] === true) { openCount -= 1; }
      existing.parentNode.removeChild(existing);
    }
    if (data.page === "inbox" && !data.filtered) {
      var list = document.getElementById("case-list");
      // urgent cases head the list (as the server sorts it); the others go below them
      var after = message.urgent ? null : list.querySelectorAll(".case-row.is-urgent");
      var before = after && after.length ? after[after.length - 1].nextSibling : list.firstChild;
      list.insertBefore(caseRow(message), before);
      tick();
      var empty = document.getElementById("empty-inbox");
      if (empty) { empty.hidden = true; }
      openCount += 1;
    } else if (data.page === "inbox") {
      openCount += 1;
    } else {
      unread += 1;
    }
    updateTitle();
    if (!message.split_from) {
      alertStaff(data.labelNewCase + " · " + localName(message, "point_name"), message.excerpt, url);
    }
  }

  function onUpdated(message) {
    if (seen.has(message.event_id)) { return; }
    remember(message.event_id);
    var url = data.caseUrl + message.case_id;
    var label = ALERTS[message.change];
    if (message.kind === "case.escalated" && roles.indexOf("director") !== -1) {
      label = data.labelEscalated;
    }
    if (label) {
      if (data.page !== "inbox") { unread += 1; }
      alertStaff(label + " · " + message.reference,
                 message.follow_up_excerpt || message.me_too_excerpt || message.excerpt, url);
    }
    var isThisCase = data.page === "case" && String(message.case_id) === data.caseId;
    var selector = isThisCase ? "#staff-app"
      : (data.page === "inbox" ? '.case-row[data-case-id="' + message.case_id + '"]' : null);
    var scope = selector && document.querySelector(selector);
    if (isThisCase && message.by !== userId) {
      var changed = document.getElementById("case-changed");
      if (changed) { changed.hidden = false; }
    }
    if (scope && data.page === "inbox" && message.left_unit) {
      // transferred to another unit (转办): it leaves this inbox
      if (OPEN[scope.dataset.status] === true) { openCount -= 1; }
      scope.parentNode.removeChild(scope);
    } else if (scope && data.page === "inbox") {
      var wasOpen = OPEN[scope.dataset.status] === true;
      var isOpen = OPEN[message.status] === true;
      if (wasOpen !== isOpen) { openCount += isOpen ? 1 : -1; }
      scope.dataset.status = message.status;
      scope.className = "case-row status-" + message.status + " is-fresh" +
        (isYours(message) ? " is-yours" : "") +
        (message.kind === "case.escalated" ? " is-overdue" : "");
    }
    updateTitle();
    if (!scope) { return; }
    var unansweredTag = scope.querySelector('[data-role="unanswered"]');
    if (unansweredTag && (message.change === "reply" || message.replied || message.status === "spam")) {
      unansweredTag.remove();
    }
    var badge = scope.querySelector('[data-role="status"]');
    if (badge) {
      badge.textContent = labels[message.status] || message.status;
      badge.className = "badge badge-" + message.status;
    }
    if ("next_limit" in message) { updateDeadline(scope, message); }
  }

  function updateDeadline(scope, message) {
    // the next limit after a claim, a reply or a closing (none once the case is closed)
    var node = scope.querySelector('[data-role="deadline"]');
    if (!message.next_limit) {
      if (node) { node.remove(); }
      if (scope.classList.contains("case-row")) { scope.classList.remove("is-overdue"); }
      return;
    }
    if (!node) {
      var meta = scope.querySelector(".case-meta");
      if (!meta) { return; }
      node = deadlineNode(message);
      meta.appendChild(node);
    }
    node.dataset.limit = message.next_limit;
    node.dataset.due = message.next_due_at;
    tick();
  }

  var liveState = document.getElementById("live-state");
  function setLive(online) {
    if (!liveState) { return; }
    liveState.textContent = online ? liveState.dataset.online : liveState.dataset.offline;
    liveState.classList.toggle("is-offline", !online);
  }

  var socket = io(data.namespace, {
    // a function, so that every reconnection asks for what it missed since the last id seen
    auth: function (send) { send({ since: lastId }); }
  });
  // A session that ended (logged out elsewhere, password reset, account deactivated) or
  // expired is said so, with the login, instead of "reconnecting…" for ever.
  var loggedOut = false;
  function showLoggedOut() {
    loggedOut = true;
    var notice = document.getElementById("logged-out");
    if (notice) { notice.hidden = false; }
    if (liveState) {
      liveState.textContent = liveState.dataset.offline;
      liveState.classList.add("is-offline");
      liveState.hidden = true;
    }
  }
  socket.on("connect", function () { setLive(true); });
  socket.on("disconnect", function () { if (!loggedOut) { setLive(false); } });
  socket.on("connect_error", function () {
    // refused by the server (no valid session): the client will not retry on its own
    if (!socket.active) { showLoggedOut(); } else { setLive(false); }
  });
  socket.on("session.ended", showLoggedOut);
  socket.on("feedback.created", onCreated);
  ["case.updated", "case.claimed", "case.assigned", "case.handed_back", "case.noted",
   "case.escalated"].forEach(function (name) { socket.on(name, onUpdated); });
  socket.on("sync.reload", function () { window.location.reload(); });

  // Sound and notifications are turned on once per device: the choice is remembered, and
  // on later pages the sound wakes at the first tap anywhere (browsers allow sound only
  // after one), with no button and no question asked again.
  var ALERTS_KEY = "parkMailbox.alertsOn";
  function remembered() {
    try { return localStorage.getItem(ALERTS_KEY) === "1"; } catch (e) { return false; }
  }
  function wakeSound() {
    var AudioContext = window.AudioContext || window.webkitAudioContext;
    if (AudioContext && !audio) { audio = new AudioContext(); }
    if (audio && audio.state === "suspended") { audio.resume(); }
  }
  var enable = document.getElementById("enable-alerts");
  if (remembered()) {
    ["pointerdown", "keydown"].forEach(function (name) {
      document.addEventListener(name, wakeSound, { once: true, capture: true });
    });
  } else if (enable) {
    enable.hidden = false;
    enable.addEventListener("click", function () {
      wakeSound();
      if (window.Notification && Notification.permission === "default") {
        Notification.requestPermission();
      }
      try { localStorage.setItem(ALERTS_KEY, "1"); } catch (e) { /* private mode: asked again */ }
      beep();
      enable.hidden = true;
    });
  }
  updateTitle();
  tick();
  window.setInterval(tick, 30000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { tick(); } });
}());
