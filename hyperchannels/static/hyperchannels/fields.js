// What a form or a field sends as an action's data.
import { HyperError, KIND } from "./error.js";
import { STATUS } from "./protocol.js";

// Django's CSRF field: a socket's actions are authenticated by its handshake (the Origin check and
// the session), so the token means nothing here and must not reach the action's arguments.
const CSRF_FIELD = "csrfmiddlewaretoken";

const noUploads = (name) =>
  new HyperError(STATUS.bad_request, `File uploads are not supported over the socket (field "${name}")`, KIND.client);

/**
 * A form's fields as `{name: value}` (a name given several times becomes a list), without the
 * CSRF token. A file field throws: uploads are not supported over the socket, and leaving the
 * file out silently would run the action without it.
 */
export function formData(form) {
  const data = {};
  for (const [key, value] of new FormData(form)) {
    if (key === CSRF_FIELD) continue;
    if (typeof value !== "string") throw noUploads(key);
    data[key] = key in data ? [].concat(data[key], value) : value;
  }
  return data;
}

/**
 * A single field's `{name: value}`: a checkbox's `checked`, a multiple select's selected values,
 * any other field's value. A field without a name sends nothing of its own.
 */
export function fieldData(el) {
  if (!el.name) return {};
  if (el.type === "checkbox") return { [el.name]: el.checked };
  if (el.type === "file") throw noUploads(el.name);
  if (el.multiple && el.selectedOptions) return { [el.name]: [...el.selectedOptions].map((o) => o.value) };
  return { [el.name]: el.value };
}

/** Whether `el` is a field that sends `{name: value}` on `change`. */
export const isField = (el) => ["INPUT", "SELECT", "TEXTAREA"].includes(el.tagName);
