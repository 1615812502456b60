// Small page actions declared in data- attributes, in a file because the
// Content-Security-Policy runs no inline script (no onchange=, no hx-on):
// - data-dismiss="<selector>" on a button removes the closest element matching it (or, if
//   none encloses the button, the first in the page): the Cancel of inline forms;
// - data-autosubmit on a field submits its form when it changes: the language picker;
// - data-select-on-focus on a read-only field selects its text (an address to copy);
// - data-quiet-change on a field keeps its "change" event from its form (a search box
//   that sends its own request as one types);
// - data-shown-when="<field>=<value>" on an element in a form shows it only while the
//   form's field has that value (the text of an SMS campaign).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-dismiss]");
  if (!button) return;
  const selector = button.dataset.dismiss;
  const target = button.closest(selector) || document.querySelector(selector);
  if (target) target.remove();
});
document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.requestSubmit();
});
document.addEventListener(
  "change",
  (event) => {
    if (event.target.matches && event.target.matches("[data-quiet-change]")) {
      event.stopPropagation();
    }
  },
  true,
);
document.addEventListener("focusin", (event) => {
  if (event.target.matches && event.target.matches("[data-select-on-focus]")) {
    event.target.select();
  }
});
function showWhen(form) {
  form.querySelectorAll("[data-shown-when]").forEach((element) => {
    const [name, value] = element.dataset.shownWhen.split("=");
    const field = form.elements[name];
    if (field) element.hidden = field.value !== value;
  });
}
document.addEventListener("change", (event) => {
  if (event.target.form) showWhen(event.target.form);
});
