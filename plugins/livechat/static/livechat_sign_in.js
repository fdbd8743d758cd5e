// "Sign in with LiveChat" inside LiveChat's Agent App (served as is, not bundled).
//
// The button opens LiveChat's implicit-grant page in a popup (the accounts service cannot be
// framed); LiveChat sends the popup back to /login/livechat/callback with the token
// in the URL fragment; that page posts it here (same origin only); this page checks the
// state it started with and POSTs the token to the server, which verifies it with LiveChat
// and signs the agent in. Then the widget opens.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("livechat-sign-in-config").textContent);
  var button = document.getElementById("livechat-sign-in");
  var error = document.getElementById("livechat-sign-in-error");
  var popup = null;

  function show(message) {
    error.textContent = message;
    error.hidden = false;
    if (button) button.disabled = false;
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== window.location.origin) return;
    var data = event.data || {};
    if (data.type !== "switchboard:livechat-oauth") return;
    if (popup && event.source !== popup) return;
    if (data.error) return show("LiveChat did not sign you in: " + data.error);
    if (!data.access_token || data.state !== config.state) {
      return show("This sign-in did not start here. Try again.");
    }
    fetch(config.sessionUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ access_token: data.access_token, state: data.state, next: config.next }),
    })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (!response.ok) throw new Error(body.message || "Signing in failed (HTTP " + response.status + ").");
          window.location.assign(body.next || config.next);
        });
      })
      .catch(function (exc) { show(exc.message || "Signing in failed. Try again."); });
  });

  if (button) {
    button.addEventListener("click", function () {
      error.hidden = true;
      button.disabled = true;
      popup = window.open(config.authorizeUrl, "livechat-sign-in", "width=520,height=680");
      if (!popup) show("Your browser blocked the sign-in window. Allow pop-ups for Switchboard and try again.");
    });
  }
})();
