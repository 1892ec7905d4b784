/* Live early warnings on the bureau dashboard: a warning raised anywhere in the scope
   appears at the top of the list without a reload. The list is rendered by the server;
   this only adds to it (no JavaScript: reload to see new ones). */
(function () {
  "use strict";
  var section = document.getElementById("live-warnings");
  if (!section || typeof io !== "function") { return; }
  var data = section.dataset;
  var english = data.locale === "en";
  var lastId = parseInt(data.lastEventId || "0", 10) || 0;
  var seen = {};

  function fill(template, values) {
    // the server's translated "{observed} cases in {hours} hours, {expected} expected"
    return template.replace(/\{(\w+)\}/g, function (_m, name) {
      return String(values[name]);
    });
  }

  function pick(message, name) {
    return (english && message[name + "_en"]) || message[name] || "";
  }

  function show(message) {
    if (seen[message.event_id]) { return; }
    seen[message.event_id] = true;
    lastId = Math.max(lastId, message.event_id);
    var list = section.querySelector(".warning-list");
    if (!list) {
      list = document.createElement("ul");
      list.className = "warning-list";
      list.setAttribute("aria-live", "polite");
      var empty = section.querySelector('[data-role="no-warnings"]');
      if (empty) { empty.remove(); }
      section.appendChild(list);
    }
    var item = document.createElement("li");
    item.className = "warning-new";
    var where = document.createElement("strong");
    var point = pick(message, "point_name");
    where.textContent = pick(message, "park_name") + (point ? " · " + point : "");
    item.appendChild(where);
    // a burst of reports at one spot names its case; a spike its baseline
    var line = message.warning_kind === "burst" ?
      fill(data.burstLine, { observed: message.observed, minutes: message.minutes }) +
        " · " + fill(data.caseLine, { reference: message.case_reference }) :
      fill(data.line, { observed: message.observed, hours: message.hours,
                        expected: Number(message.expected).toFixed(1) });
    item.appendChild(document.createTextNode(" · " + pick(message, "category_name") + ": " +
      line));
    var when = document.createElement("span");
    when.className = "hint";
    var time = document.createElement("time");
    time.dateTime = message.at;
    time.textContent = " " + new Date(message.at).toLocaleString(english ? "en" : "zh-CN",
      { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" });
    when.appendChild(time);
    item.appendChild(when);
    list.insertBefore(item, list.firstChild);
  }

  var socket = io(data.namespace, {
    // every reconnection asks for the warnings raised since the last one seen
    auth: function (send) { send({ since: lastId }); }
  });
  socket.on("warning.raised", show);
  socket.on("sync.reload", function () { window.location.reload(); });
}());
