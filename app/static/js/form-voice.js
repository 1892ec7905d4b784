/* The visitor form's recorder: hold the button to speak (or tap it to start and tap again to
   stop), at most 60 seconds. The recording becomes the file of the form's "voice" input, so
   the form is sent as without JavaScript; the server re-encodes it (services/cases/voice.py).
   Progressive enhancement: where the browser cannot record (no MediaRecorder, no microphone,
   or a file input whose files cannot be replaced) the audio file input stays as it is. */
(function () {
  "use strict";
  var MAX_MS = 60 * 1000;
  var HOLD_MS = 700;  // pressed longer than this: releasing stops; shorter: a tap
  var box = document.getElementById("voice-recorder");
  var input = document.getElementById("voice");
  if (!box || !input || !window.MediaRecorder || !navigator.mediaDevices ||
      !navigator.mediaDevices.getUserMedia || !window.DataTransfer) { return; }
  try { new DataTransfer(); } catch (e) { return; }

  var button = document.getElementById("voice-record");
  var label = button.querySelector(".voice-record-text");
  var status = document.getElementById("voice-status");
  var preview = document.getElementById("voice-preview");
  var discard = document.getElementById("voice-discard");
  var text = box.dataset;
  var state = "idle";  // idle, starting, recording
  var recorder = null, stream = null, chunks = [], startedAt = 0, pressedAt = 0;
  var pressStarted = false, timer = null, limit = null, previewUrl = null;

  box.hidden = false;
  input.hidden = true;

  function clock(ms) {
    var seconds = Math.min(60, Math.round(ms / 1000));
    return Math.floor(seconds / 60) + ":" + ("0" + (seconds % 60)).slice(-2);
  }

  function mimeType() {
    // Safari records AAC in MP4, Chrome and Firefox Opus in WebM
    var types = ["audio/mp4", "audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus"];
    for (var i = 0; i < types.length; i += 1) {
      if (MediaRecorder.isTypeSupported && MediaRecorder.isTypeSupported(types[i])) {
        return types[i];
      }
    }
    return "";
  }

  function show(message) { status.textContent = message; }

  function tick() {
    var hint = (Date.now() - pressedAt >= HOLD_MS && pressStarted) ? text.release : text.stop;
    label.textContent = hint;
    show(text.recording + " " + clock(Date.now() - startedAt) + " / 1:00");
  }

  function fallBack() {
    state = "idle";
    box.hidden = true;
    input.hidden = false;
    show("");
    var note = document.createElement("p");
    note.className = "hint";
    note.textContent = text.failed;
    input.parentNode.insertBefore(note, input);
  }

  function keep(blob, ms) {
    var type = (blob.type || "audio/webm").split(";")[0];
    var ending = type === "audio/mp4" ? ".m4a" : type === "audio/ogg" ? ".ogg" : ".webm";
    var transfer = new DataTransfer();
    transfer.items.add(new File([blob], "voice" + ending, { type: type }));
    input.files = transfer.files;
    if (previewUrl) { URL.revokeObjectURL(previewUrl); }
    previewUrl = URL.createObjectURL(blob);
    preview.src = previewUrl;
    preview.hidden = false;
    discard.hidden = false;
    show(text.ready + " (" + clock(ms) + ")");
    label.textContent = text.hold;
  }

  function start() {
    state = "starting";
    pressStarted = true;
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (media) {
      if (state !== "starting") {  // stopped before the microphone was ready
        media.getTracks().forEach(function (track) { track.stop(); });
        return;
      }
      stream = media;
      var type = mimeType();
      recorder = type ? new MediaRecorder(media, { mimeType: type }) : new MediaRecorder(media);
      chunks = [];
      recorder.addEventListener("dataavailable", function (event) {
        if (event.data && event.data.size) { chunks.push(event.data); }
      });
      recorder.addEventListener("stop", function () {
        var ms = Date.now() - startedAt;
        stream.getTracks().forEach(function (track) { track.stop(); });
        if (chunks.length) { keep(new Blob(chunks, { type: recorder.mimeType || type }), ms); }
        recorder = null;
      });
      startedAt = Date.now();
      recorder.start(1000);
      state = "recording";
      button.setAttribute("aria-pressed", "true");
      box.classList.add("is-recording");
      label.textContent = text.stop;
      tick();
      timer = window.setInterval(tick, 250);
      limit = window.setTimeout(stop, MAX_MS - 200);
    }).catch(fallBack);
  }

  function stop() {
    if (state === "starting") { state = "idle"; return; }
    if (state !== "recording") { return; }
    state = "idle";
    window.clearInterval(timer);
    window.clearTimeout(limit);
    button.removeAttribute("aria-pressed");
    box.classList.remove("is-recording");
    if (recorder && recorder.state !== "inactive") { recorder.stop(); }
  }

  button.addEventListener("pointerdown", function (event) {
    if (event.button !== 0 || state !== "idle") { return; }
    event.preventDefault();  // no text selection or long-press menu while holding
    pressedAt = Date.now();
    start();
  });
  function released() {
    if (pressStarted && state !== "idle" && Date.now() - pressedAt >= HOLD_MS) { stop(); }
  }
  button.addEventListener("pointerup", released);
  button.addEventListener("pointercancel", released);
  button.addEventListener("contextmenu", function (event) { event.preventDefault(); });
  button.addEventListener("click", function () {
    // the click that ends a press which started the recording changes nothing
    if (pressStarted) { pressStarted = false; return; }
    if (state === "idle") { pressedAt = Date.now(); start(); pressStarted = false; }
    else { stop(); }
  });

  discard.addEventListener("click", function () {
    input.value = "";
    preview.removeAttribute("src");
    preview.hidden = true;
    discard.hidden = true;
    if (previewUrl) { URL.revokeObjectURL(previewUrl); previewUrl = null; }
    show("");
    button.focus();
  });
}());
