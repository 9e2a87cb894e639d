/* Shows the chosen Credly badge template's image next to the course mapping's template list. */
(function () {
  "use strict";
  function update(select) {
    var preview = document.getElementById(select.id + "_preview");
    if (!preview) { return; }
    var option = select.options[select.selectedIndex];
    var url = option ? option.getAttribute("data-image-url") : "";
    preview.src = url || "";
    preview.alt = url ? option.text : "";
    preview.style.display = url ? "" : "none";
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.hasAttribute && event.target.hasAttribute("data-credly-template-select")) {
      update(event.target);
    }
  });
})();
