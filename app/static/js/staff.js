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
      (isYours(message) ? " is-yours" : "");
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
    if (isYours(message)) {
      meta.appendChild(text("span", "tag tag-yours", data.labelYours));
    }
    // a new case has no reply yet: "unanswered" stays visible until it gets one
    var unanswered = text("span", "tag tag-warn", data.labelUnanswered);
    unanswered.dataset.role = "unanswered";
    meta.appendChild(unanswered);
    link.appendChild(meta);
    item.appendChild(link);
    return item;
  }

  function onCreated(message) {
    if (seen.has(message.event_id)) { return; }
    remember(message.event_id);
    var url = data.caseUrl + message.case_id;
    if (data.page === "inbox" && !data.filtered) {
      var list = document.getElementById("case-list");
      list.insertBefore(caseRow(message), list.firstChild);
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
    if (scope && data.page === "inbox") {
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
  socket.on("connect", function () { setLive(true); });
  socket.on("disconnect", function () { setLive(false); });
  socket.on("connect_error", function () { setLive(false); });
  socket.on("feedback.created", onCreated);
  ["case.updated", "case.claimed", "case.assigned", "case.handed_back", "case.noted",
   "case.escalated"].forEach(function (name) { socket.on(name, onUpdated); });
  socket.on("sync.reload", function () { window.location.reload(); });

  var enable = document.getElementById("enable-alerts");
  if (enable) {
    enable.hidden = false;
    enable.addEventListener("click", function () {
      var AudioContext = window.AudioContext || window.webkitAudioContext;
      if (AudioContext && !audio) { audio = new AudioContext(); }
      if (window.Notification && Notification.permission === "default") {
        Notification.requestPermission();
      }
      beep();
      enable.hidden = true;
    });
  }
  updateTitle();
}());
