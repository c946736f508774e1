/* ketacourse: worked solutions that are not page text until opened (ketacourse_tools.sphinx_solutions).
   Each solution's HTML sits base64-encoded in the data-kc-solution attribute of an empty, hidden
   div; its button decodes it into the page, and a second press removes it again. */
(function () {
  "use strict";
  var OPEN = "Open the worked solution", CLOSE = "Close the worked solution";

  function decode(b64) {
    var bin = atob(b64), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new TextDecoder("utf-8").decode(bytes);
  }

  function runScripts(el) {  // innerHTML does not run scripts (e.g. an offline scrubber's)
    el.querySelectorAll("script").forEach(function (old) {
      var s = document.createElement("script");
      for (var i = 0; i < old.attributes.length; i++) s.setAttribute(old.attributes[i].name, old.attributes[i].value);
      s.textContent = old.textContent;
      old.replaceWith(s);
    });
  }

  function typeset(el) {
    var mj = window.MathJax;
    if (mj && mj.Hub && mj.Hub.Queue) mj.Hub.Queue(["Typeset", mj.Hub, el]);
    else if (mj && mj.typesetPromise) mj.typesetPromise([el]);
  }

  function toggle(button) {
    var body = document.getElementById(button.getAttribute("aria-controls"));
    if (!body) return;
    if (button.getAttribute("aria-expanded") === "true") {
      body.hidden = true;
      body.innerHTML = "";
      button.setAttribute("aria-expanded", "false");
      button.textContent = OPEN;
    } else {
      body.innerHTML = decode(body.getAttribute("data-kc-solution"));
      body.hidden = false;
      button.setAttribute("aria-expanded", "true");
      button.textContent = CLOSE;
      runScripts(body);
      typeset(body);
    }
  }

  // A self-check option's feedback: decoded as the option opens, removed as it closes (the click
  // comes before the <details> element toggles, so the text is there when it shows).
  function option(summary) {
    var details = summary.parentElement, box = details.querySelector(".kc-option-feedback[data-kc-feedback]");
    if (!box) return;
    if (details.open) box.innerHTML = "";
    else { box.innerHTML = decode(box.getAttribute("data-kc-feedback")); typeset(box); }
  }

  document.addEventListener("click", function (event) {
    if (!event.target.closest) return;
    var button = event.target.closest("button.kc-solution-toggle");
    if (button) { toggle(button); return; }
    var summary = event.target.closest("details.kc-option > summary");
    if (summary) option(summary);
  });
})();
