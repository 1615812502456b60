// Live SLA countdowns: every element with data-due (an ISO moment) shows "in 2 h 10 min"
// or "overdue by 15 min", refreshed every 30 s and after htmx swaps. The server renders
// the first text, so the page reads the same without JavaScript; the phrases come
// translated in data-text-in, data-text-overdue and data-units ("d|h|min").
(function () {
  "use strict";
  if (window.rapportCountdown) {
    window.rapportCountdown();
    return;
  }

  function duration(seconds, units) {
    var minutes = Math.floor(seconds / 60);
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    var rest = minutes % 60;
    if (days) return days + " " + units[0] + " " + hours + " " + units[1];
    if (hours) return hours + " " + units[1] + " " + rest + " " + units[2];
    return rest + " " + units[2];
  }

  function update(element) {
    var due = Date.parse(element.getAttribute("data-due"));
    if (isNaN(due)) return;
    var seconds = Math.round((due - Date.now()) / 1000);
    var units = (element.getAttribute("data-units") || "d|h|min").split("|");
    var overdue = seconds < 0;
    var phrase = element.getAttribute(overdue ? "data-text-overdue" : "data-text-in") || "%s";
    element.textContent = phrase.replace("%s", duration(Math.abs(seconds), units));
    element.classList.toggle("sla-overdue", overdue);
  }

  function tick() {
    document.querySelectorAll("[data-due]").forEach(update);
  }

  window.rapportCountdown = tick;
  tick();
  setInterval(tick, 30000);
  document.addEventListener("htmx:afterSettle", tick);
})();
