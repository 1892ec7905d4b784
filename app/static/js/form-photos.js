/* The visitor form's photos, made small on the phone before they are sent: the longest side
   at most 2048 px, as JPEG. A phone's camera photo (often 4000 px and 5 MB or more) then
   goes up quickly on a weak signal and stays under the server's limit. Progressive
   enhancement: without this script, or in a browser that cannot replace a file input's
   files, the photos go as they are and the server's limit (413) stands. */
(function () {
  "use strict";
  var MAX_SIDE = 2048;
  var QUALITY = 0.85;
  var input = document.getElementById("photos");
  var form = input && input.form;
  if (!form || !window.createImageBitmap || !window.DataTransfer || !window.Blob ||
      !HTMLCanvasElement.prototype.toBlob) { return; }
  try { new DataTransfer(); } catch (e) { return; }  // Safari before 14.1

  var working = null;  // the promise of the resizing under way, if any
  var submitter = null;

  function bitmapOf(file) {
    // upright as the camera meant it (EXIF orientation); older browsers ignore the option
    return createImageBitmap(file, { imageOrientation: "from-image" })
      .catch(function () { return createImageBitmap(file); });
  }

  function smaller(file) {
    if (!/^image\//.test(file.type)) { return Promise.resolve(file); }
    return bitmapOf(file).then(function (bitmap) {
      var longest = Math.max(bitmap.width, bitmap.height);
      if (longest <= MAX_SIDE && file.type === "image/jpeg") {
        if (bitmap.close) { bitmap.close(); }
        return file;  // small enough already
      }
      var scale = Math.min(1, MAX_SIDE / longest);
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      var context = canvas.getContext("2d");
      context.fillStyle = "#fff";  // a transparent PNG becomes white, not black
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) { bitmap.close(); }
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob) { resolve(file); return; }
          var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
          resolve(new File([blob], name, { type: "image/jpeg", lastModified: Date.now() }));
        }, "image/jpeg", QUALITY);
      });
    }).catch(function () { return file; });  // a format this browser cannot read: as it is
  }

  input.addEventListener("change", function () {
    var chosen = Array.prototype.slice.call(input.files || []);
    if (!chosen.length) { return; }
    form.setAttribute("aria-busy", "true");
    working = Promise.all(chosen.map(smaller)).then(function (files) {
      var replaced = files.some(function (file, index) { return file !== chosen[index]; });
      if (replaced) {
        var transfer = new DataTransfer();
        files.forEach(function (file) { transfer.items.add(file); });
        input.files = transfer.files;
      }
      form.dataset.photosReady = "1";
    }).finally(function () {
      form.removeAttribute("aria-busy");
      working = null;
    });
  });

  form.addEventListener("submit", function (event) {
    if (!working) { return; }
    // the photos are still being made smaller: send the form once they are
    event.preventDefault();
    submitter = event.submitter || null;
    working.then(function () {
      if (form.requestSubmit) { form.requestSubmit(submitter); } else { form.submit(); }
    });
  });
}());
