// The home page's "watch the server answer" panel: three requests for one file,
// showing the status codes a correct static file server gives (200, 206, 304).
"use strict";

function describe(response) {
  const parts = [response.status + " " + (response.statusText || "")];
  const range = response.headers.get("Content-Range");
  if (range) parts.push(range);
  const length = response.headers.get("Content-Length");
  if (length) parts.push(length + " bytes");
  return parts.join(" · ");
}

function show(item, text, ok) {
  const result = document.createElement("span");
  result.className = ok ? "result" : "result bad";
  result.textContent = "→ " + text;
  item.appendChild(result);
}

// cache: "no-store" keeps the browser's cache out of it, so the 304 reaches us.
async function probe(list) {
  const url = list.dataset.url;
  const items = {};
  for (const item of list.querySelectorAll("li")) items[item.dataset.kind] = item;

  const full = await fetch(url, { cache: "no-store" });
  await full.arrayBuffer();
  show(items.full, describe(full), full.status === 200);

  const range = await fetch(url, { cache: "no-store", headers: { Range: "bytes=0-99" } });
  await range.arrayBuffer();
  show(items.range, describe(range), range.status === 206);

  const etag = full.headers.get("ETag");
  const again = await fetch(url, { cache: "no-store", headers: { "If-None-Match": etag } });
  await again.arrayBuffer(); // read to the end, or the browser reports it as aborted
  show(items.conditional, describe(again), again.status === 304);
  return [full.status, range.status, again.status];
}

document.addEventListener("DOMContentLoaded", () => {
  const list = document.getElementById("probe");
  const status = document.getElementById("probe-status");
  if (!list || !status) return;
  status.textContent = "Asking the server…";
  probe(list)
    .then((codes) => {
      status.textContent = "Done: " + codes.join(", ") + ".";
      status.dataset.codes = codes.join(",");
    })
    .catch((error) => {
      status.textContent = "The requests failed: " + error;
    });
});
