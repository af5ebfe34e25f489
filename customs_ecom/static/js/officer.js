// The officer's time zone, read from the browser once, so pages show times where the officer is
// (the server reads the cookie: customs_ecom.officer_tz). "Show here" opens a document's viewer.
(function () {
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("officer_tz=" + encodeURIComponent(zone)) === -1) {
      document.cookie = "officer_tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (e) { /* an old browser: times stay in the server's zone */ }
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a.show-doc");
    if (!link) return;
    var viewer = document.getElementById(link.dataset.viewer);
    if (viewer) { viewer.open = true; viewer.scrollIntoView({block: "nearest"}); e.preventDefault(); }
  });
})();
