// Territory pages: new items arrive without reload (server-sent events).
// Without JavaScript (or EventSource) the page is complete as served; this only adds.
(function () {
  "use strict";
  var root = document.querySelector(".territory[data-stream]");
  if (!root || !("EventSource" in window)) { return; }
  var status = document.getElementById("live-status");
  var lang = document.documentElement.lang || "fr";
  var words = lang === "en"
    ? { one: "New: ", many: " new items" }
    : { one: "Nouveau : ", many: " nouveautés" };
  var fresh = 0;

  function known(iri) {
    var nodes = root.querySelectorAll("[data-iri]");
    for (var i = 0; i < nodes.length; i += 1) {
      if (nodes[i].getAttribute("data-iri") === iri) { return true; }
    }
    return false;
  }

  function insert(data) {
    if (!data || !data.iri || known(data.iri)) { return; }
    var list = root.querySelector('ol[data-section="' + data.section + '"]');
    if (!list) { return; }
    var holder = document.createElement("template");
    holder.innerHTML = data.html.trim();
    var item = holder.content.firstElementChild;
    if (!item) { return; }
    item.classList.add("item--new");
    if (data.section === "events" && data.start) {
      // upcoming events stay in date order
      var after = null;
      var rows = list.querySelectorAll("li[data-start]");
      for (var i = 0; i < rows.length; i += 1) {
        if (new Date(rows[i].getAttribute("data-start")) > new Date(data.start)) { after = rows[i]; break; }
      }
      list.insertBefore(item, after);
    } else {
      list.insertBefore(item, list.firstElementChild);
    }
    var empty = root.querySelector('[data-empty="' + data.section + '"]');
    if (empty) { empty.parentNode.removeChild(empty); }
    fresh += 1;
    if (status) {
      status.textContent = fresh === 1 ? words.one + data.title : fresh + words.many + " — " + words.one + data.title;
    }
  }

  var source = new EventSource(root.getAttribute("data-stream"));
  source.addEventListener("item", function (event) {
    try { insert(JSON.parse(event.data)); } catch (error) { /* a malformed message is skipped */ }
  });
  window.addEventListener("pagehide", function () { source.close(); });
}());
