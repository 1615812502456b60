// The pipeline board: cards dragged between columns with SortableJS; each drop posts the
// card's id, the target stage and the version the card was drawn with through htmx, which
// swaps in the redrawn card and both columns' totals (or, for a refused move, the board).
(function () {
  "use strict";

  function moveCard(evt) {
    if (evt.from === evt.to) {
      return;
    }
    var card = evt.item;
    var board = card.closest("#board");
    var csrf = card.querySelector("input[name=csrf_token]");
    htmx.ajax("POST", board.dataset.moveUrl, {
      source: card,
      target: card,
      swap: "outerHTML",
      values: {
        opportunity_id: card.dataset.id,
        version: card.dataset.version,
        stage: evt.to.dataset.stage,
        csrf_token: csrf ? csrf.value : ""
      }
    });
  }

  htmx.onLoad(function (root) {
    if (typeof Sortable === "undefined" || !root.querySelectorAll) {
      return;
    }
    root.querySelectorAll(".board-cards").forEach(function (list) {
      if (list.dataset.sortable) {
        return;
      }
      list.dataset.sortable = "on";
      Sortable.create(list, {
        group: "board",
        animation: 150,
        draggable: ".board-card",
        filter: "select, button, input, a",
        preventOnFilter: false,
        forceFallback: true,
        onEnd: moveCard
      });
    });
  });
})();
