/* Staff app: live inbox over Socket.IO, with catch-up after a dropped connection. */
(function () {
  "use strict";
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

  function caseRow(message) {
    var url = data.caseUrl + message.case_id;
    var item = document.createElement("li");
    item.className = "case-row status-" + message.status + " is-fresh";
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
    item.appendChild(link);
    return item;
  }

  function onCreated(message) {
    if (seen.has(message.event_id)) { return; }
    remember(message.event_id);
    var url = data.caseUrl + message.case_id;
    if (data.page === "inbox") {
      var list = document.getElementById("case-list");
      list.insertBefore(caseRow(message), list.firstChild);
      var empty = document.getElementById("empty-inbox");
      if (empty) { empty.hidden = true; }
      openCount += 1;
    } else {
      unread += 1;
    }
    updateTitle();
    alertStaff(data.labelNewCase + " · " + localName(message, "point_name"), message.excerpt, url);
  }

  function onUpdated(message) {
    if (seen.has(message.event_id)) { return; }
    remember(message.event_id);
    var selector = data.page === "case"
      ? (String(message.case_id) === data.caseId ? "#staff-app" : null)
      : '.case-row[data-case-id="' + message.case_id + '"]';
    var scope = selector && document.querySelector(selector);
    if (!scope) { return; }
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
  socket.on("case.updated", onUpdated);
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
