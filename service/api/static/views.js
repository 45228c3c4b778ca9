// What the pages of one object share: the breadcrumb and card they load into, and a delete
// button that asks first, then goes back to the list.

import { api } from "./api.js";
import { confirmButton, h, replace } from "./dom.js";
import { shortId } from "./format.js";

// A card under "List / id" filled by render(box, object) once GET path answers.
export function detailView(root, { id, boxId, list, path, render, onError }) {
  const box = h("section", { class: "card", id: boxId }, h("p", {}, "loading…"));
  replace(root, h("p", { class: "crumbs" }, h("a", { href: list[0] }, list[1]), " / ", h("code", {}, shortId(id))), box);
  api(path).then((object) => render(box, object)).catch(onError);
  return () => {};
}

// "label" -> "question Yes / Keep" -> DELETE path() -> location.hash = back.
export function deleteButton({ label, question, path, back, onError, extra = null }) {
  return confirmButton(label, question, async () => {
    try {
      await api(path(), { method: "DELETE" });
      location.hash = back;
    } catch (err) { onError(err); }
  }, extra);
}
