/* Rapport website tracking: one page-view beacon per page, and clicks on links marked
   data-rapport-download recorded as downloads. Install with
   <script async src="https://<rapport>/t.js" data-site="<key>"></script>
   No cookies, no dependencies. The visitor id lives in localStorage ("rapport_vid"). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !navigator.sendBeacon || !window.JSON) { return; }
  var endpoint = new URL("/t/e", script.src).href;
  var site = script.getAttribute("data-site") || "";
  var ID = /^[A-Za-z0-9_-]{16,40}$/;
  var params = new URLSearchParams(location.search);

  function randomId() {
    var bytes = new Uint8Array(16), out = "", i;
    crypto.getRandomValues(bytes);
    for (i = 0; i < bytes.length; i++) { out += ("0" + bytes[i].toString(16)).slice(-2); }
    return out;
  }

  function visitorId() {
    var id = null;
    try { id = localStorage.getItem("rapport_vid"); } catch (e) { /* storage blocked */ }
    if (!id || !ID.test(id)) {
      var given = params.get("rp_vid");
      id = given && ID.test(given) ? given : randomId();
      try { localStorage.setItem("rapport_vid", id); } catch (e) { /* storage blocked */ }
    }
    return id;
  }

  var vid = visitorId();
  var token = params.get("rp_t");
  if (token || params.has("rp_vid")) {
    /* Keep the identity token out of bookmarks, shared links and later referrers. */
    params.delete("rp_t");
    params.delete("rp_vid");
    var rest = params.toString();
    try {
      history.replaceState(history.state, "", location.pathname + (rest ? "?" + rest : "") + location.hash);
    } catch (e) { /* not allowed here */ }
  }

  function send(body) {
    body.vid = vid;
    body.site = site;
    navigator.sendBeacon(endpoint, new Blob([JSON.stringify(body)], { type: "text/plain" }));
  }

  var view = {
    url: location.href.slice(0, 2000),
    referrer: document.referrer.slice(0, 1000),
    title: document.title.slice(0, 300)
  };
  ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"].forEach(function (name) {
    var value = params.get(name);
    if (value) { view[name] = value.slice(0, 100); }
  });
  if (token) { view.t = token; }
  send(view);

  document.addEventListener("click", function (event) {
    var link = event.target && event.target.closest ? event.target.closest("a[data-rapport-download]") : null;
    if (link && link.href) {
      send({ k: "download", url: location.href.slice(0, 2000), href: link.href.slice(0, 1000) });
    }
  }, true);
})();
