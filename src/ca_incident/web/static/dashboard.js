// Progressive enhancement only: every page works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Filters apply as soon as one changes (the Filter button still works without this).
  for (const form of document.querySelectorAll("form[data-autosubmit]")) {
    form.addEventListener("change", () => form.requestSubmit());
  }

  // Find on this page: hides the table rows that do not contain the words typed.
  for (const input of document.querySelectorAll("input[data-filter-rows]")) {
    const table = document.getElementById(input.dataset.filterRows);
    const status = document.getElementById(input.dataset.filterStatus);
    if (!table) continue;
    input.closest(".quick-find").hidden = false;
    const rows = Array.from(table.tBodies[0].rows);
    input.addEventListener("input", () => {
      const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      let shown = 0;
      for (const row of rows) {
        const text = row.textContent.toLowerCase();
        const match = words.every((w) => text.includes(w));
        row.hidden = !match;
        if (match) shown += 1;
      }
      if (status) status.textContent = words.length ? `${shown} of ${rows.length} rows shown` : "";
    });
  }
});
