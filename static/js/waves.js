// Drag users between waves: a drop saves the user's new wave at once. Without JavaScript the
// lists and the "Save the waves" button do the same.
document.addEventListener("DOMContentLoaded", () => {
  const board = document.querySelector("[data-wave-board]");
  if (!board) return;
  const csrf = board.querySelector("[name=csrfmiddlewaretoken]").value;
  let dragged = null;

  board.addEventListener("dragstart", (event) => {
    dragged = event.target.closest("[data-user]");
    if (dragged) event.dataTransfer.setData("text/plain", dragged.dataset.user);
  });
  board.addEventListener("dragover", (event) => {
    if (dragged && event.target.closest("[data-wave]")) event.preventDefault();
  });
  board.addEventListener("drop", async (event) => {
    const column = event.target.closest("[data-wave]");
    if (!dragged || !column) return;
    event.preventDefault();
    const item = dragged;
    dragged = null;
    const body = new FormData();
    body.append("user", item.dataset.user);
    body.append("wave", column.dataset.wave);
    const answer = await fetch(board.dataset.assignUrl, {
      method: "POST", body, headers: {"X-CSRFToken": csrf},
    });
    if (!answer.ok) {
      alert(await answer.text());
      return;
    }
    const from = item.closest("[data-wave]");
    column.querySelector("ul").append(item);
    item.querySelector("select").value = column.dataset.wave;
    for (const changed of [from, column]) {
      changed.querySelector("[data-count]").textContent =
        changed.querySelectorAll("[data-user]").length;
    }
  });
});
