/* Opsquad chat widget loader. Paste on your site:
 *   <script src="https://YOUR-OPSQUAD/widget.js" data-widget="YOUR-WIDGET-ID" async></script>
 * It adds a chat button and opens the chat in a frame served by Opsquad. It reads nothing of the
 * page it is on. */
(function () {
  var script = document.currentScript;
  if (!script || window.__opsquadChat) return;
  window.__opsquadChat = true;
  var id = script.getAttribute("data-widget");
  if (!id) return;
  var base = new URL(script.src).origin;
  var colour = /^#[0-9a-fA-F]{6}$/.test(script.getAttribute("data-color") || "") ? script.getAttribute("data-color") : "#2563eb";
  var frame = null;
  var open = false;

  var button = document.createElement("button");
  button.type = "button";
  button.setAttribute("aria-label", "Chat with us");
  button.setAttribute("data-opsquad", "launcher");
  button.textContent = "Chat";
  css(button, {
    position: "fixed", right: "20px", bottom: "20px", zIndex: "2147483000", border: "0", borderRadius: "999px",
    padding: "14px 22px", background: colour, color: "#fff", font: "600 16px/1 system-ui, sans-serif",
    boxShadow: "0 4px 14px rgba(0,0,0,.25)", cursor: "pointer"
  });

  function css(el, styles) {
    for (var k in styles) el.style[k] = styles[k];
  }

  function place() {
    if (!frame) return;
    var phone = window.matchMedia("(max-width: 480px)").matches;
    css(frame, phone
      ? { right: "0", bottom: "0", width: "100%", height: "100%", borderRadius: "0" }
      : { right: "20px", bottom: "84px", width: "370px", height: "min(600px, calc(100% - 104px))", borderRadius: "14px" });
  }

  function toggle(show) {
    open = show;
    if (show && !frame) {
      frame = document.createElement("iframe");
      frame.src = base + "/widget/" + encodeURIComponent(id);
      frame.title = "Chat";
      frame.setAttribute("data-opsquad", "chat");
      css(frame, {
        position: "fixed", zIndex: "2147483001", border: "0", background: "#fff",
        boxShadow: "0 8px 30px rgba(0,0,0,.3)"
      });
      document.body.appendChild(frame);
    }
    if (frame) {
      frame.style.display = show ? "block" : "none";
      place();
    }
    button.setAttribute("aria-expanded", show ? "true" : "false");
  }

  // The visitor's chat session is kept here, on this site, so a reload or another tab resumes it
  // (browsers may deny the chat's own frame any storage of its own).
  var key = "opsquad.chat." + id;
  function stored() {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function store(token) {
    try { window.localStorage.setItem(key, token); } catch (e) { /* private mode: the chat lasts this page */ }
  }

  button.addEventListener("click", function () { toggle(!open); });
  window.addEventListener("resize", place);
  // Only the chat's own frame is listened to.
  window.addEventListener("message", function (event) {
    if (event.origin !== base || !frame || event.source !== frame.contentWindow) return;
    if (event.data === "opsquad:close") return toggle(false);
    if (event.data === "opsquad:ready") {
      return frame.contentWindow.postMessage(JSON.stringify({ type: "opsquad:token", token: stored() }), base);
    }
    try {
      var message = JSON.parse(event.data);
      if (message.type === "opsquad:store" && typeof message.token === "string") store(message.token);
    } catch (e) { /* not ours */ }
  });

  if (document.body) document.body.appendChild(button);
  else document.addEventListener("DOMContentLoaded", function () { document.body.appendChild(button); });
})();
