// The lineage graph of `wharf docs`: Cytoscape.js with the dagre layout, over the elements
// lineage-data.js defines (window.WHARF_LINEAGE). The data is a script, not a fetch() of JSON,
// so the site works opened from disk (file:// forbids fetch of local files in Chromium).
(function () {
  "use strict";
  var box = document.getElementById("graph");
  if (!box || !window.WHARF_LINEAGE || !window.cytoscape) { return; }
  var root = box.getAttribute("data-root") || "";
  var focus = box.getAttribute("data-focus");
  var elements = window.WHARF_LINEAGE.elements;
  if (focus) { elements = neighbourhood(elements, focus); }

  var cy = window.cytoscape({
    container: box,
    elements: elements,
    wheelSensitivity: 0.3,
    minZoom: 0.05,
    maxZoom: 3,
    style: [
      { selector: "node", style: {
        "label": "data(label)", "font-size": 11, "text-valign": "center", "text-halign": "center",
        "width": "label", "height": 22, "padding": "6px", "shape": "round-rectangle",
        "background-color": "#e8eef7", "border-width": 1, "border-color": "#6b7f99", "color": "#1b2733",
        "min-zoomed-font-size": 5 } },
      { selector: "node[kind = 'source']", style: { "background-color": "#f3e9d2", "shape": "barrel" } },
      { selector: "node[kind = 'entity']", style: { "background-color": "#fbf4e4" } },
      { selector: "node[kind = 'model']", style: { "background-color": "#efe3f6", "shape": "hexagon" } },
      { selector: "node[kind = 'table']", style: { "background-color": "#dff0e3" } },
      { selector: "node[personal]", style: { "border-width": 3, "border-color": "#c0392b" } },
      { selector: ":parent", style: {
        "text-valign": "top", "text-halign": "center", "background-opacity": 0.06, "font-size": 13,
        "font-weight": "bold", "border-style": "dashed", "padding": "14px", "shape": "round-rectangle" } },
      { selector: "edge", style: {
        "curve-style": "bezier", "target-arrow-shape": "triangle", "width": 1.5,
        "line-color": "#9aa7b5", "target-arrow-color": "#9aa7b5", "font-size": 9, "color": "#1d6f42",
        "text-background-color": "#ffffff", "text-background-opacity": 0.8, "min-zoomed-font-size": 7 } },
      { selector: "edge[protects]", style: { "label": "data(label)", "line-style": "dashed",
        "text-rotation": "autorotate", "text-margin-y": -7,
        "line-color": "#1d6f42", "target-arrow-color": "#1d6f42", "width": 2.5 } },
      // Personal data still flowing wins over what is protected on the same edge.
      { selector: "edge[carries]", style: { "line-style": "solid", "line-color": "#c0392b",
        "target-arrow-color": "#c0392b", "width": 2.5 } },
      { selector: ".faded", style: { "opacity": 0.15 } },
      { selector: "node.focus", style: { "border-width": 4, "border-color": "#1f5fa8" } }
    ],
    layout: { name: "dagre", rankDir: "LR", nodeSep: 12, rankSep: 70, edgeSep: 6, animate: false },
    // A big catalog stays fluid: edges are hidden while panning or zooming.
    hideEdgesOnViewport: elements.length > 1500
  });

  // Fitting hundreds of chains makes every label a dot: start readable at the top left instead
  // ("fit" shows everything, "find" jumps to an element).
  if (cy.zoom() > 1.5) { cy.zoom(1.5); cy.center(); }  // a page's few elements, not a poster
  if (cy.zoom() < 0.45) {
    var bb = cy.elements().boundingBox();
    cy.zoom(0.9);
    cy.pan({ x: 20 - bb.x1 * 0.9, y: 20 - bb.y1 * 0.9 });
    var hint = document.getElementById("graph-hint");
    if (hint) { hint.textContent = cy.nodes().length + " nodes: shown from the top left; fit shows all of them."; }
  }

  cy.on("tap", "node", function (evt) {
    var href = evt.target.data("href");
    if (href && !evt.target.isParent()) { window.location.href = root + href; }
  });
  cy.on("mouseover", "node", function (evt) {
    var n = evt.target;
    if (n.isParent()) { return; }
    var near = n.predecessors().union(n.successors()).union(n).union(n.ancestors());
    cy.elements().not(near).addClass("faded");
  });
  cy.on("mouseout", "node", function () { cy.elements().removeClass("faded"); });
  if (focus) { cy.getElementById(focus).addClass("focus"); }

  var fit = document.getElementById("graph-fit");
  if (fit) { fit.addEventListener("click", function () { cy.fit(undefined, 20); }); }
  var only = document.getElementById("graph-personal");
  if (only) {
    only.addEventListener("change", function () {
      cy.elements().removeClass("faded");
      if (only.checked) {
        var keep = cy.elements("node[personal], edge[carries], edge[protects]");
        keep = keep.union(keep.connectedNodes()).union(keep.ancestors());
        cy.elements().not(keep).addClass("faded");
      }
    });
  }
  var find = document.getElementById("graph-find");
  if (find) {
    find.addEventListener("input", function () {
      var text = find.value.toLowerCase();
      cy.elements().removeClass("faded");
      if (!text) { return; }
      var hit = cy.nodes().filter(function (n) { return n.data("id").toLowerCase().indexOf(text) >= 0; });
      cy.elements().not(hit.union(hit.ancestors())).addClass("faded");
      if (hit.length) { cy.fit(hit, 40); }
    });
  }

  // For the browser test and for readers: what was laid out, written into the page.
  var placed = cy.nodes().filter(function (n) {
    var p = n.position();
    return isFinite(p.x) && isFinite(p.y) && n.renderedBoundingBox().w > 0;
  }).map(function (n) { return n.id(); }).sort();
  var out = document.getElementById("graph-rendered");
  if (out) { out.textContent = placed.join("\n"); }
  document.body.setAttribute("data-graph", "ready");
  document.body.setAttribute("data-graph-nodes", String(placed.length));

  // A page's own graph: the element, what it reads and what reads it, transitively.
  // (A walk per direction: "u"/"d" marks where it has been, keep[n] what is shown.)
  function neighbourhood(all, id) {
    var up = {}, down = {}, byId = {};
    all.forEach(function (el) {
      byId[el.data.id] = el;
      if (el.data.source) {
        (down[el.data.source] = down[el.data.source] || []).push(el.data.target);
        (up[el.data.target] = up[el.data.target] || []).push(el.data.source);
      }
    });
    var keep = {};
    function walk(start, next) {
      var todo = [start];
      while (todo.length) {
        var n = todo.pop();
        if (keep[n + "|" + (next === up ? "u" : "d")]) { continue; }
        keep[n + "|" + (next === up ? "u" : "d")] = true;
        keep[n] = true;
        (next[n] || []).forEach(function (m) { todo.push(m); });
      }
    }
    // A zone's page: the zone's own elements and their paths.
    var starts = [id].concat(all.filter(function (el) { return el.data.parent === id; })
      .map(function (el) { return el.data.id; }));
    starts.forEach(function (s) { walk(s, up); walk(s, down); });
    Object.keys(keep).forEach(function (n) {
      var el = byId[n];
      while (el && el.data.parent) { keep[el.data.parent] = true; el = byId[el.data.parent]; }
    });
    return all.filter(function (el) {
      return el.data.source ? (keep[el.data.source] && keep[el.data.target]) : keep[el.data.id];
    });
  }
}());
