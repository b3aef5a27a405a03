// The header bell: the staff member's unread admin notifications, read once per page from the API (session).
(function () {
  "use strict";
  function show() {
    var bell = document.querySelector("[data-admin-notifications]");
    if (!bell || !window.fetch) {
      return;
    }
    fetch(bell.getAttribute("data-admin-notifications"), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (body) {
        var badge = bell.querySelector("[data-unread-count]");
        if (!body || !badge || !body.count) {
          return;
        }
        badge.textContent = body.count > 99 ? "99+" : String(body.count);
        badge.classList.remove("hidden");
      })
      .catch(function () {});
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", show);
  } else {
    show();
  }
})();
