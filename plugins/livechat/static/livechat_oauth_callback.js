// LiveChat's implicit grant returns here with #access_token=…&state=… (served as is).
// The token goes to the page that opened this popup (same origin only) and is wiped from
// the address bar and history at once.
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
  var search = new URLSearchParams(window.location.search);
  history.replaceState(null, "", window.location.pathname);
  var message = {
    type: "switchboard:livechat-oauth",
    access_token: params.get("access_token"),
    state: params.get("state") || search.get("state"),
    error: params.get("error_description") || params.get("error") || search.get("error"),
  };
  if (window.opener && !window.opener.closed) {
    window.opener.postMessage(message, window.location.origin);
    window.close();
  } else {
    var status = document.getElementById("status");
    status.textContent = status.dataset.openerGone; // the page's sentence, in the reader's language
  }
})();
