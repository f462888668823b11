// Small comforts on every page; each page works without them.
"use strict";
(function () {
  // On a phone the tabs scroll sideways: bring the current one into view.
  const current = document.querySelector("nav.tabs [aria-current=page]");
  if (current && current.parentElement.scrollWidth > current.parentElement.clientWidth) {
    const tabs = current.parentElement;
    tabs.scrollLeft = current.offsetLeft - (tabs.clientWidth - current.offsetWidth) / 2;
  }
  // Escape closes the open menu and gives the focus back to its button.
  const menu = document.querySelector("details.site-menu");
  if (menu) {
    menu.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.open) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
  }
})();
