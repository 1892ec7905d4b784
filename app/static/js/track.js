/* The tracking page's link: copy it, or share it (Web Share API), served by the app itself.
   Without this script the link and its QR code are still on the page to select or
   screenshot; the buttons only appear when they can work. */
(function () {
  "use strict";
  var field = document.getElementById("track-link");
  var copy = document.getElementById("copy-link");
  var share = document.getElementById("share-link");
  var status = document.getElementById("link-status");
  if (!field || !copy || !share) { return; }
  var url = field.value;

  function say(text) { if (status) { status.textContent = text; } }

  function copyBySelection() {
    // the older way, for browsers without the asynchronous clipboard (or outside HTTPS)
    field.focus();
    field.select();
    field.setSelectionRange(0, url.length);
    var done = false;
    try { done = document.execCommand("copy"); } catch (e) { done = false; }
    say(done ? copy.dataset.copied : copy.dataset.failed);
  }

  copy.hidden = false;
  copy.addEventListener("click", function () {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(url).then(function () {
        say(copy.dataset.copied);
      }, copyBySelection);
    } else {
      copyBySelection();
    }
  });

  if (navigator.share) {
    share.hidden = false;
    share.addEventListener("click", function () {
      navigator.share({ title: share.dataset.title, url: url }).catch(function (error) {
        // closing the share sheet is no failure; anything else falls back to copying
        if (!error || error.name !== "AbortError") { copy.click(); }
      });
    });
  }

  field.addEventListener("focus", function () { field.select(); });
}());
